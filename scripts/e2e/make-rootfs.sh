#!/bin/bash
# make-rootfs.sh [--suite bookworm|trixie] OUT_TARBALL
#
# Builds the root filesystem of the e2e SSH targets: the chroot target (test/support/target.ts,
# bookworm) and the booted machines (test/support/booted.ts, bookworm and trixie). Debian 12
# (bookworm, the default) or Debian 13 (trixie), debootstrap --variant=minbase plus
# scripts/e2e/rootfs-packages.txt (systemd, systemd-sysv and dbus among them, so the same tree
# boots under systemd-nspawn -b), set up like a Debian cloud image as far as arv-image's
# provisioning scripts can tell:
#   - /etc/apt/sources.list: SUITE, SUITE-updates, SUITE-security (main);
#   - a login user "admin" (uid 1000, like Debian's AMIs) with passwordless sudo
#     (/etc/sudoers.d/90-cloud-init-users) and an empty ~/.ssh/authorized_keys; the account is
#     unlocked ("*", not "!"): sshd with UsePAM no refuses key logins to locked accounts;
#   - sshd for a chroot: UsePAM no, key logins only, no Port line (the target passes -p);
#     host keys generated (shared by every target made from this tarball);
#   - /etc/hosts and /etc/hostname (arv-e2e), else sudo warns "unable to resolve host";
#   - /usr/sbin/policy-rc.d answering 101: maintainer scripts never start daemons (an upgraded
#     openssh-server or docker-ce would otherwise start on the HOST's network, e.g. port 22);
#   - an empty /etc/resolv.conf (the target copies the host's in at start);
#   - apt caches, package lists and logs removed.
# Then packs it with --numeric-owner: zstd when OUT ends in .zst or (other names) when zstd is
# installed, else gzip.
#
# Needs root, debootstrap, unshare and the Debian mirror. Everything happens in a tmpfs in a
# private mount namespace: an interrupted build leaves no mounts behind, only OUT.partial.*
# (removed on exit). Env: ARV_IMAGE_E2E_MIRROR (default http://deb.debian.org/debian),
# ARV_IMAGE_E2E_SECURITY_MIRROR (default http://deb.debian.org/debian-security).
set -euo pipefail

SUITE=bookworm
if [[ ${1:-} == --suite ]]; then
  SUITE=${2:-}
  shift 2 || true
fi
case $SUITE in
  bookworm | trixie) ;;
  *) printf 'make-rootfs: --suite %s: expected bookworm or trixie\n' "'$SUITE'" >&2; exit 2 ;;
esac
readonly SUITE
readonly MIRROR=${ARV_IMAGE_E2E_MIRROR:-http://deb.debian.org/debian}
readonly SECURITY_MIRROR=${ARV_IMAGE_E2E_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
readonly LOGIN_USER=admin
readonly HOSTNAME_=arv-e2e
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE

die() {
  printf 'make-rootfs: %s\n' "$*" >&2
  exit 1
}
log() { printf '==> make-rootfs: %s\n' "$*" >&2; }

# The package list without comments and blank lines, comma-separated.
packages() {
  sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$HERE/rootfs-packages.txt" | paste -sd, -
}

# inner ROOT OUT COMPRESSOR: runs in the private mount namespace.
inner() {
  local R=$1 out=$2 compressor=$3
  mount -t tmpfs -o mode=0755 arv-e2e-rootfs "$R"

  log "debootstrap --variant=minbase $SUITE from $MIRROR (+ $(packages))"
  debootstrap --variant=minbase --components=main --include="$(packages)" "$SUITE" "$R" "$MIRROR"

  in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 HOME=/root "$@"; }

  log "apt sources"
  cat >"$R/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF

  log "hostname, hosts, resolv.conf, policy-rc.d"
  printf '%s\n' "$HOSTNAME_" >"$R/etc/hostname"
  cat >"$R/etc/hosts" <<EOF
127.0.0.1	localhost
127.0.1.1	$HOSTNAME_
::1	localhost ip6-localhost ip6-loopback
ff02::1	ip6-allnodes
ff02::2	ip6-allrouters
EOF
  rm -f "$R/etc/resolv.conf"
  : >"$R/etc/resolv.conf"
  cat >"$R/usr/sbin/policy-rc.d" <<'EOF'
#!/bin/sh
# arv-image e2e target: a chroot sharing the host's network. Maintainer scripts must not start
# daemons here (invoke-rc.d / deb-systemd-invoke ask this script; 101 = action forbidden).
exit 101
EOF
  chmod 0755 "$R/usr/sbin/policy-rc.d"

  log "user $LOGIN_USER with passwordless sudo"
  in_root useradd -m -s /bin/bash -c "Debian" "$LOGIN_USER"
  in_root usermod -p '*' "$LOGIN_USER"
  local uid gid
  uid=$(in_root id -u "$LOGIN_USER")
  gid=$(in_root id -g "$LOGIN_USER")
  install -d -m 0700 -o "$uid" -g "$gid" "$R/home/$LOGIN_USER/.ssh"
  install -m 0600 -o "$uid" -g "$gid" /dev/null "$R/home/$LOGIN_USER/.ssh/authorized_keys"
  printf '%s ALL=(ALL) NOPASSWD:ALL\n' "$LOGIN_USER" >"$R/etc/sudoers.d/90-cloud-init-users"
  chmod 0440 "$R/etc/sudoers.d/90-cloud-init-users"
  in_root visudo -c >/dev/null

  log "sshd configuration and host keys"
  cat >"$R/etc/ssh/sshd_config.d/arv-e2e.conf" <<'EOF'
# arv-image e2e target: sshd runs in a chroot without PAM, started with -p PORT
# -o ListenAddress=127.0.0.1 (no Port line here: with both, sshd binds twice and fails).
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
EOF
  in_root ssh-keygen -A
  mkdir -p "$R/run/sshd"
  in_root /usr/sbin/sshd -t
  if grep -Eiq '^[[:space:]]*Port[[:space:]]' "$R/etc/ssh/sshd_config" "$R"/etc/ssh/sshd_config.d/*.conf; then
    die "an active Port line in the sshd configuration (the target passes -p)"
  fi

  log "cleaning caches, lists and logs"
  in_root apt-get clean
  rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin "$R"/var/cache/debconf/*-old \
    "$R"/var/lib/dpkg/*-old "$R"/tmp/* "$R"/var/tmp/* "$R"/run/* "$R"/root/.bash_history
  mkdir -p "$R/var/lib/apt/lists/partial"
  find "$R/var/log" -type f -delete

  # Nothing may be mounted below the root any more (debootstrap unmounts its /proc and /sys).
  if findmnt -rn -o TARGET | grep -Fq -- "$R/"; then
    die "still mounted below $R: $(findmnt -rn -o TARGET | grep -F -- "$R/" | tr '\n' ' ')"
  fi
  log "packing ($compressor)"
  chmod 0755 "$R"
  tar -C "$R" --numeric-owner --one-file-system --xattrs "--$compressor" -cf "$out" .
}

if [[ ${1:-} == --inner ]]; then
  inner "$2" "$3" "$4"
  exit 0
fi

[[ $# -eq 1 && -n $1 ]] || die "usage: $0 [--suite bookworm|trixie] OUT_TARBALL"
OUT=$1
((EUID == 0)) || die "must run as root (debootstrap, mount, chroot)"
command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install -y debootstrap)"
command -v unshare >/dev/null || die "unshare is missing (util-linux)"
case $OUT in
  *.zst) command -v zstd >/dev/null || die "$OUT asks for zstd, which is not installed"; compressor=zstd ;;
  *.gz) compressor=gzip ;;
  *) if command -v zstd >/dev/null; then compressor=zstd; else compressor=gzip; fi ;;
esac
out_dir=$(dirname -- "$OUT")
[[ -d $out_dir ]] || die "the directory $out_dir does not exist"

start=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/arv-e2e-rootfs.XXXXXXXX")
partial="$OUT.partial.$$"
trap 'rm -f -- "$partial"; rmdir -- "$work" 2>/dev/null || true' EXIT
# The tmpfs and debootstrap's /proc and /sys mounts live and die with this namespace.
unshare --mount --propagation private -- bash "${BASH_SOURCE[0]}" --suite "$SUITE" --inner "$work" "$partial" "$compressor"
mv -f -- "$partial" "$OUT"
log "wrote $OUT ($(du -h -- "$OUT" | cut -f1)) in $((SECONDS - start)) s"
