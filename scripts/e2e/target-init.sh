#!/bin/bash
# target-init.sh ROOT SOURCE PORT        (env: ARV_E2E_AUTHORIZED_KEY, ARV_E2E_TARGET_SIZE)
#
# PID 1 of an e2e SSH target: a throwaway Debian machine made from SOURCE, a make-rootfs.sh
# tarball or a directory holding a root (an image the boot tier captured: it is copied, never
# changed), reachable at 127.0.0.1:PORT as "admin" with the key in ARV_E2E_AUTHORIZED_KEY.
# Run it as
#   unshare --mount --pid --uts --fork --kill-child --propagation private -- \
#     bash target-init.sh ROOT SOURCE PORT
# with ROOT an empty directory; test/support/target.ts does.
#
# - The network is the host's (apt must reach the Debian mirror); mounts, PIDs and the
#   hostname are private. The rootfs is a tmpfs mounted on ROOT inside the private mount
#   namespace only: on the host ROOT stays an empty directory, and nothing needs unmounting.
# - /dev is a minimal tmpfs (null, zero, full, random, urandom, tty, a private devpts, shm):
#   root in the target cannot reach the host's disks. /proc is this PID namespace's, /sys is
#   read-only, /run is a fresh tmpfs (no /run/systemd/system: "systemd is not running"),
#   /etc/resolv.conf is a copy of the host's (not a bind mount: writes stay in the target).
# - A root without SSH host keys (an image: each machine makes its own) gets new ones, as a
#   cloud instance's first boot makes them.
# - This process stays outside the chroot: maintainer scripts that compare / with
#   /proc/1/root (udev, systemctl, ...) see that they run in a chroot.
# - It prints "arv-e2e-target: pid HOSTPID" (its PID in the host's PID namespace) first, then
#   runs sshd -D -e, whose log goes to stderr ("Server listening on 127.0.0.1 port PORT.").
# - It ends when its standard input reaches EOF (the parent closed it, or died), when sshd
#   exits, or on SIGTERM/SIGINT/SIGHUP. When PID 1 of a PID namespace exits, the kernel kills
#   every process left in it, and the mount namespace (tmpfs included) goes with the last one.
set -euo pipefail

die() {
  printf 'target-init: %s\n' "$*" >&2
  exit 1
}

[[ $# -eq 3 ]] || die "usage: $0 ROOT SOURCE PORT"
R=$1
SOURCE=$2
PORT=$3
((BASHPID == 1)) || die "must run as PID 1 of a new PID namespace (unshare --pid --fork)"
[[ $R == /* && -d $R ]] || die "ROOT '$R' is not an existing absolute directory"
[[ -f $SOURCE || -d $SOURCE ]] || die "no tarball or directory $SOURCE"
[[ $PORT =~ ^[0-9]+$ ]] || die "PORT '$PORT' is not a number"
[[ -n ${ARV_E2E_AUTHORIZED_KEY:-} ]] || die "ARV_E2E_AUTHORIZED_KEY is empty"

# /proc is still the host's here, so /proc/self names this shell in the host's PID namespace.
read -r host_pid _ _ unshare_pid _ </proc/self/stat
printf 'arv-e2e-target: pid %s\n' "$host_pid"
# Mounting below would change the caller's view unless unshare made a new mount namespace
# (unshare itself is in it; compare with unshare's parent).
read -r _ _ _ caller_pid _ <"/proc/$unshare_pid/stat"
[[ $(readlink /proc/self/ns/mnt) != "$(readlink "/proc/$caller_pid/ns/mnt")" ]] ||
  die "not in a private mount namespace (unshare --mount --propagation private)"
mount -t tmpfs -o "mode=0755,size=${ARV_E2E_TARGET_SIZE:-50%}" arv-e2e-target "$R"
if [[ -d $SOURCE ]]; then
  cp -a -- "$SOURCE/." "$R/"
else
  tar -C "$R" --numeric-owner -xpf "$SOURCE"
fi
chmod 0755 "$R" # sshd reads ~admin/.ssh as admin: "/" must be searchable

# The caller's key for admin, with the modes sshd's StrictModes insists on.
home="$R/home/admin"
[[ -d $home ]] || die "the tarball has no /home/admin"
owner=$(stat -c %u:%g -- "$home")
install -d -m 0700 -o "${owner%:*}" -g "${owner#*:}" -- "$home/.ssh"
printf '%s\n' "$ARV_E2E_AUTHORIZED_KEY" >>"$home/.ssh/authorized_keys"
chown "$owner" -- "$home/.ssh/authorized_keys"
chmod 0600 -- "$home/.ssh/authorized_keys"

rm -f -- "$R/etc/resolv.conf"
cat /etc/resolv.conf >"$R/etc/resolv.conf"
compgen -G "$R/etc/ssh/ssh_host_*_key" >/dev/null || chroot "$R" ssh-keygen -A >/dev/null

mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
mount -t tmpfs -o mode=0755,nosuid,nodev arv-e2e-run "$R/run"
install -d -m 0755 "$R/run/sshd"
install -d -m 1777 "$R/run/lock"

mount -t tmpfs -o mode=0755,nosuid,size=1m arv-e2e-dev "$R/dev"
mknod -m 0666 "$R/dev/null" c 1 3
mknod -m 0666 "$R/dev/zero" c 1 5
mknod -m 0666 "$R/dev/full" c 1 7
mknod -m 0666 "$R/dev/random" c 1 8
mknod -m 0666 "$R/dev/urandom" c 1 9
mknod -m 0666 "$R/dev/tty" c 5 0
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
install -d -m 0755 "$R/dev/pts"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
install -d -m 1777 "$R/dev/shm"
mount -t tmpfs -o mode=1777,nosuid,nodev arv-e2e-shm "$R/dev/shm"

hostname "$(cat "$R/etc/hostname" 2>/dev/null || echo arv-e2e)"

exec 3<&0 </dev/null
env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
  chroot "$R" /usr/sbin/sshd -D -e -p "$PORT" -o ListenAddress=127.0.0.1 3<&- &
sshd_pid=$!
cat <&3 >/dev/null &
watcher=$!
exec 3<&-

trap 'exit 0' TERM INT HUP
set +e
wait -n -p ended "$sshd_pid" "$watcher"
rc=$?
if [[ ${ended:-} == "$sshd_pid" ]]; then
  printf 'target-init: sshd exited with status %s\n' "$rc" >&2
  exit 1
fi
exit 0
