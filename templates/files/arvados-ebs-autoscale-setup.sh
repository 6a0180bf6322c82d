#!/bin/bash
# arv-image: /usr/local/sbin/arvados-ebs-autoscale-setup.sh, run at every boot by
# arvados-ebs-autoscale.service (ordered before docker.service and ssh.service).
#
# On the first boot of an instance, runs the amazon-ebs-autoscale installer (IMDSv2, LVM with
# ext4, mount point /tmp), which creates and attaches an encrypted EBS volume, mounts it on
# /tmp and starts ebs-autoscale.service (which adds volumes as /tmp fills). The installer is
# destructive and not idempotent, so it runs once: a marker file records its success. Its whole
# output (stdout and stderr) goes to /var/log/ebs-autoscale-install.log.
#
# On a later boot of the same instance (a reboot, a stop and start) the volumes are still
# attached: the volume group is activated and its volume mounted on /tmp again, and the
# autoscaler started. The image masks tmp.mount (no tmpfs on /tmp), which would also mask the
# /etc/fstab line the installer adds for /tmp (and fail local-fs.target, which requires it):
# that line is commented out, this script mounts the volume instead.
#
# Finally asks systemd to start Docker (when installed) without waiting.
set -euo pipefail
set -o errtrace
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

readonly INSTALLER=/opt/amazon-ebs-autoscale/install.sh
readonly INSTALL_LOG=/var/log/ebs-autoscale-install.log
readonly MARKER=/var/lib/arvados/ebs-autoscale-installed
readonly MOUNTPOINT=/tmp
# The names in the autoscaler's configuration (files/ebs-autoscale.json, "lvm").
readonly VG=autoscale_vg LV=autoscale_lv
readonly LV_DEVICE=/dev/mapper/$VG-$LV

log() { echo "arvados-ebs-autoscale-setup: $*"; }
die() {
  echo "arvados-ebs-autoscale-setup: ERROR: $*" >&2
  exit 1
}
trap 'echo "arvados-ebs-autoscale-setup: ERROR: exit status $? at line $LINENO: $BASH_COMMAND" >&2' ERR

start_docker() {
  if [[ -z $(systemctl list-unit-files --no-legend --no-pager docker.service 2>/dev/null) ]]; then
    log "Docker is not installed; nothing to start"
  else
    systemctl --no-block start docker.service
    log "asked systemd to start docker.service"
  fi
}

# The sources mounted on /tmp (more than one line when a volume is mounted over another).
tmp_sources() { findmnt -n -l -o SOURCE --mountpoint "$MOUNTPOINT" 2>/dev/null || true; }
on_volume() { tmp_sources | grep -Fxq -e "$LV_DEVICE" -e "/dev/$VG/$LV"; }

# A tmpfs on /tmp (systemd 256+'s tmp.mount when not masked) would be hidden by the volume:
# unmount it when nothing uses it.
release_tmpfs() {
  local fstype
  fstype=$(findmnt -n -l -o FSTYPE --mountpoint "$MOUNTPOINT" 2>/dev/null | tail -n 1) || fstype=
  [[ $fstype == tmpfs ]] || return 0
  if umount -- "$MOUNTPOINT" 2>/dev/null; then
    log "unmounted the tmpfs on $MOUNTPOINT"
  else
    log "the tmpfs on $MOUNTPOINT is in use: the volume is mounted over it"
  fi
}

# The installer's "/dev/mapper/...  /tmp  ext4" line in /etc/fstab, commented out (see above).
disable_fstab_line() {
  local tmp
  if ! awk -v mp="$MOUNTPOINT" '$1 !~ /^#/ && $2 == mp { found = 1 } END { exit !found }' /etc/fstab; then
    return 0
  fi
  tmp=$(mktemp /run/arvados-ebs-autoscale-setup.fstab.XXXXXXXX)
  awk -v mp="$MOUNTPOINT" '
    $1 !~ /^#/ && $2 == mp { print "# mounted at boot by arvados-ebs-autoscale-setup.sh instead: " $0; next }
    { print }
  ' /etc/fstab >"$tmp"
  cat -- "$tmp" >/etc/fstab
  rm -f -- "$tmp"
  log "commented out the /etc/fstab line for $MOUNTPOINT (this script mounts the volume at every boot)"
}

start_autoscaler() {
  if [[ -z $(systemctl list-unit-files --no-legend --no-pager ebs-autoscale.service 2>/dev/null) ]]; then
    die "ebs-autoscale.service is not installed (see $INSTALL_LOG)"
  fi
  systemctl enable ebs-autoscale.service >/dev/null 2>&1 || true
  systemctl --no-block start ebs-autoscale.service
  log "asked systemd to start ebs-autoscale.service"
}

if on_volume; then
  log "$MOUNTPOINT is already on the autoscaling EBS volume"
elif [[ -e $MARKER ]]; then
  # This instance booted before: its EBS volumes are still attached.
  log "amazon-ebs-autoscale was installed on this instance ($(cat -- "$MARKER")): mounting its volume again"
  vgchange --activate y "$VG" || die "cannot activate the volume group $VG (are its EBS volumes attached? see 'pvs' and $INSTALL_LOG)"
  udevadm settle --timeout=60 || true
  [[ -b $LV_DEVICE ]] || die "$LV_DEVICE does not exist after activating $VG"
  release_tmpfs
  mount -- "$LV_DEVICE" "$MOUNTPOINT"
  log "mounted $LV_DEVICE on $MOUNTPOINT"
else
  [[ -f $INSTALLER ]] || die "$INSTALLER is missing"
  release_tmpfs
  log "running $INSTALLER --imdsv2 -f lvm.ext4 -m $MOUNTPOINT (output in $INSTALL_LOG)"
  rc=0
  /bin/bash "$INSTALLER" --imdsv2 -f lvm.ext4 -m "$MOUNTPOINT" >>"$INSTALL_LOG" 2>&1 || rc=$?
  if ((rc != 0)); then
    echo "arvados-ebs-autoscale-setup: the installer failed with exit status $rc; the end of $INSTALL_LOG:" >&2
    tail -n 30 -- "$INSTALL_LOG" >&2 || true
    exit 1
  fi
  mkdir -p -- "${MARKER%/*}"
  date -u +%Y-%m-%dT%H:%M:%SZ >"$MARKER"
  log "amazon-ebs-autoscale is installed; $MOUNTPOINT is on an encrypted, autoscaling EBS volume"
fi
disable_fstab_line
start_autoscaler
chmod 1777 "$MOUNTPOINT"
start_docker
