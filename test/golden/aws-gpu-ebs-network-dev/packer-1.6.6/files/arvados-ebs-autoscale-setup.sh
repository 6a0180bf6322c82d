#!/bin/bash
# arv-image: /usr/local/sbin/arvados-ebs-autoscale-setup.sh, run at boot by
# arvados-ebs-autoscale.service (ordered before docker.service and ssh.service).
#
# On the first boot of an instance, runs the amazon-ebs-autoscale installer (IMDSv2, LVM with
# ext4, mount point /tmp), which creates and attaches an encrypted EBS volume, mounts it on
# /tmp, adds it to /etc/fstab and starts ebs-autoscale.service. The installer is destructive
# and not idempotent, so it runs once: after it succeeded, a marker file keeps later boots from
# running it again (/etc/fstab then mounts the volume). Its whole output (stdout and stderr)
# goes to /var/log/ebs-autoscale-install.log. Finally asks systemd to start Docker (when
# installed) without waiting.
set -euo pipefail
set -o errtrace
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

readonly INSTALLER=/opt/amazon-ebs-autoscale/install.sh
readonly INSTALL_LOG=/var/log/ebs-autoscale-install.log
readonly MARKER=/var/lib/arvados/ebs-autoscale-installed
readonly MOUNTPOINT=/tmp
readonly LV_DEVICE=/dev/mapper/autoscale_vg-autoscale_lv

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

source=$(findmnt -n -o SOURCE --mountpoint "$MOUNTPOINT" 2>/dev/null) || source=
if [[ $source == "$LV_DEVICE" ]]; then
  log "$MOUNTPOINT is already on the autoscaling EBS volume"
elif [[ -e $MARKER ]]; then
  die "amazon-ebs-autoscale was installed on this instance ($MARKER) but $MOUNTPOINT is not mounted from $LV_DEVICE; not re-running the installer (see $INSTALL_LOG and /etc/fstab)"
else
  [[ -f $INSTALLER ]] || die "$INSTALLER is missing"
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
chmod 1777 "$MOUNTPOINT"
start_docker
