#!/bin/bash
# arv-image: /usr/local/sbin/ensure-encrypted-partitions.sh, run at boot by
# arvados-ensure-encrypted-partitions.service (ordered before docker.service and ssh.service).
#
# Puts /tmp on encrypted scratch space made of every local disk except the ones the system
# runs from: one LVM volume group "compute" over those disks, one logical volume "tmp", LUKS2
# under a random key that exists only in a tmpfs file shredded right after use, XFS, mounted
# on /tmp with mode 1777. Then asks systemd to start Docker (when installed) without waiting.
#
# Without such disks (or in a container, which has no disks of its own), /tmp stays on the root
# file system and the script still succeeds, so the boot is not "degraded". If /tmp is already
# the encrypted volume, it only starts Docker. A tmpfs on /tmp (systemd 256+'s tmp.mount, which
# the image masks) is unmounted first when nothing uses it, else the volume is mounted over it.
# Every change is logged; a real failure exits non-zero (the unit fails, Docker is not
# started, and the dispatcher's boot probe sees it).
#
# Usage: ensure-encrypted-partitions.sh [--dry-run]
#   --dry-run  print what would be done (cloud, disks, commands) and change nothing.
# Environment: ENSURE_ENCRYPTED_PARTITIONS_CLOUD=aws|azure|gcp|generic skips cloud detection.
set -euo pipefail
set -o errtrace
shopt -s nullglob
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

readonly VG=compute LV=tmp MAPPER=tmp MOUNTPOINT=/tmp
readonly METADATA_URL=http://169.254.169.254/
readonly METADATA_TRIES=3
# NVMe models of network volumes, which are never scratch space.
readonly REMOTE_NVME_MODELS=("Amazon Elastic Block Store" "MSFT NVMe Accelerator" "nvme_card-pd")

DRY_RUN=0
case ${1:-} in
  "") ;;
  --dry-run) DRY_RUN=1 ;;
  *)
    echo "usage: $0 [--dry-run]" >&2
    exit 2
    ;;
esac
KEY_DIR=

log() { echo "ensure-encrypted-partitions: $*"; }
die() {
  echo "ensure-encrypted-partitions: ERROR: $*" >&2
  exit 1
}
run() {
  if ((DRY_RUN)); then
    log "would run: $*"
  else
    log "running: $*"
    "$@"
  fi
}

cleanup() {
  if [[ -n $KEY_DIR && -d $KEY_DIR ]]; then
    local f
    for f in "$KEY_DIR"/*; do shred --remove=wipe -- "$f" || rm -f -- "$f"; done
    rmdir -- "$KEY_DIR" || true
  fi
}
trap cleanup EXIT
trap 'echo "ensure-encrypted-partitions: ERROR: exit status $? at line $LINENO: $BASH_COMMAND" >&2' ERR

start_docker() {
  if [[ -z $(systemctl list-unit-files --no-legend --no-pager docker.service 2>/dev/null) ]]; then
    log "Docker is not installed; nothing to start"
  elif ((DRY_RUN)); then
    log "would start docker.service (without waiting)"
  else
    systemctl --no-block start docker.service
    log "asked systemd to start docker.service"
  fi
}

# The cloud this runs on: aws, azure, gcp or generic. Uses the DMI vendor first (no network),
# then a few bounded metadata-service probes, then gives up on "generic".
detect_cloud() {
  local vendor bios server try
  case ${ENSURE_ENCRYPTED_PARTITIONS_CLOUD:-} in
    aws | azure | gcp | generic) echo "$ENSURE_ENCRYPTED_PARTITIONS_CLOUD" && return 0 ;;
    "") ;;
    *) log "ignoring ENSURE_ENCRYPTED_PARTITIONS_CLOUD=$ENSURE_ENCRYPTED_PARTITIONS_CLOUD (not aws, azure, gcp or generic)" >&2 ;;
  esac
  vendor=$(cat /sys/class/dmi/id/sys_vendor 2>/dev/null) || vendor=
  bios=$(cat /sys/class/dmi/id/bios_version 2>/dev/null) || bios=
  case $vendor in
    "Amazon EC2") echo aws && return 0 ;;
    "Microsoft Corporation") echo azure && return 0 ;;
    Google) echo gcp && return 0 ;;
  esac
  # Xen-based EC2 instances report "Xen" as vendor and an Amazon BIOS version.
  if [[ $bios == *amazon* ]]; then echo aws && return 0; fi
  for ((try = 1; try <= METADATA_TRIES; try++)); do
    server=$(curl --silent --head --connect-timeout 2 --max-time 4 "$METADATA_URL" 2>/dev/null |
      tr -d '\r' | awk 'tolower($1) == "server:" { sub(/^[^:]*:[[:space:]]*/, ""); print; exit }') || server=
    case $server in
      EC2ws) echo aws && return 0 ;;
      "Metadata Server for VM") echo gcp && return 0 ;;
      Microsoft-IIS/*) echo azure && return 0 ;;
    esac
    if ((try < METADATA_TRIES)); then sleep 2; fi
  done
  echo generic
}

# The sources mounted on /tmp, bottom first: more than one line when a volume is mounted over
# another (e.g. over a tmpfs).
tmp_sources() { findmnt -n -l -o SOURCE --mountpoint "$MOUNTPOINT" 2>/dev/null || true; }
tmp_fstype() { findmnt -n -l -o FSTYPE --mountpoint "$MOUNTPOINT" 2>/dev/null | tail -n 1 || true; }

# A tmpfs on /tmp keeps scratch space in RAM: unmount it when nothing uses it (when something
# does, the scratch volume goes over it, or /tmp stays the tmpfs: said so in the log).
release_tmpfs() {
  [[ $(tmp_fstype) == tmpfs ]] || return 0
  if ((DRY_RUN)); then
    log "would unmount the tmpfs on $MOUNTPOINT"
  elif umount -- "$MOUNTPOINT" 2>/dev/null; then
    log "unmounted the tmpfs on $MOUNTPOINT (scratch space belongs on disk; mask tmp.mount to keep it off)"
  else
    log "WARNING: $MOUNTPOINT is a tmpfs in use; it stays mounted (mask tmp.mount so that it is not mounted at boot)"
  fi
}

# The whole disks (e.g. /dev/nvme0n1) under a block device given as MAJ:MIN.
disks_under_majmin() {
  local sys name majmin=${1//[[:space:]]/}
  [[ -n $majmin ]] || return 1
  sys=$(readlink -f "/sys/dev/block/$majmin" 2>/dev/null) || return 1
  [[ -n $sys && -e $sys ]] || return 1
  name=${sys##*/}
  lsblk -lnpso NAME,TYPE "/dev/$name" | awk '$2 == "disk" { print $1 }'
}

# The disks the running system needs: those under /, /boot, /boot/efi, /usr, /var and active
# swap. Fails when the root file system's disk cannot be found (nothing is then safe to wipe).
protected_disks() {
  local target majmin dev
  majmin=$(findmnt -nvo MAJ:MIN --mountpoint /) || return 1
  disks_under_majmin "$majmin" | grep . || return 1
  for target in /boot /boot/efi /usr /var; do
    majmin=$(findmnt -nvo MAJ:MIN --mountpoint "$target" 2>/dev/null) || continue
    disks_under_majmin "$majmin" || true
  done
  while read -r dev _; do
    if [[ -b $dev ]]; then lsblk -lnpso NAME,TYPE "$dev" | awk '$2 == "disk" { print $1 }'; fi
  done < <(tail -n +2 /proc/swaps)
  return 0
}

is_remote_nvme() {
  local model m
  model=$(lsblk -dno MODEL "$1" 2>/dev/null) || model=
  for m in "${REMOTE_NVME_MODELS[@]}"; do
    [[ $model == "$m"* ]] && return 0
  done
  return 1
}

# matches_cloud CLOUD DISK: DISK is local scratch for that cloud.
matches_cloud() {
  local model
  case $2 in
    /dev/nvme*)
      is_remote_nvme "$2" && return 1
      if [[ $1 == aws ]]; then
        # On EC2 only the instance store is scratch.
        model=$(lsblk -dno MODEL "$2" 2>/dev/null) || model=
        [[ $model == *"Instance Storage"* ]]
      fi
      ;;
    /dev/sd*) return 0 ;;
    /dev/xvd*) [[ $1 == aws || $1 == generic ]] ;;
    /dev/vd*) [[ $1 == generic ]] ;;
    *) return 1 ;;
  esac
}

# Unmounts whatever is mounted from DISK or its partitions, and comments out the matching
# /etc/fstab entries (e.g. cloud-init's ephemeral disk on /mnt) so later boots do not fail.
release_disk() {
  local dev mnt tmp
  while read -r dev mnt; do
    log "$dev is mounted on $mnt: unmounting it to use the disk as scratch space"
    run umount -- "$mnt"
    if ! FSTAB_MOUNTPOINT=$mnt awk '$1 !~ /^#/ && $2 == ENVIRON["FSTAB_MOUNTPOINT"] { found = 1 } END { exit !found }' /etc/fstab; then
      continue
    fi
    if ((DRY_RUN)); then
      log "would comment out the /etc/fstab entry for $mnt"
      continue
    fi
    tmp=$(mktemp /run/ensure-encrypted-partitions.fstab.XXXXXXXX)
    FSTAB_MOUNTPOINT=$mnt awk '
      $1 !~ /^#/ && $2 == ENVIRON["FSTAB_MOUNTPOINT"] { print "# disabled by ensure-encrypted-partitions: " $0; next }
      { print }
    ' /etc/fstab >"$tmp"
    cat -- "$tmp" >/etc/fstab
    rm -f -- "$tmp"
    log "commented out the /etc/fstab entry for $mnt"
  done < <(lsblk -lnpo NAME,MOUNTPOINT "$1" | awk 'NF >= 2 && $2 ~ /^\//')
}

# in_use_by DISK: the LVM, RAID or crypt devices stacked on DISK (empty when there are none).
in_use_by() {
  lsblk -lnpo NAME,TYPE "$1" | awk '$2 != "disk" && $2 != "part" { print $1 }'
}

main() {
  local cloud disk part protected=() candidates=() size ro stacked virt

  if tmp_sources | grep -Fxq "/dev/mapper/$MAPPER"; then
    log "$MOUNTPOINT is already the encrypted scratch volume"
    start_docker
    return 0
  fi

  # A container sees the host's disks in /sys but has none of its own: never touch them.
  if virt=$(systemd-detect-virt --container 2>/dev/null) && [[ -n $virt && $virt != none ]]; then
    if ((DRY_RUN)); then
      log "running in a container ($virt): a real run stops here; this dry run goes on to show what it would find"
    else
      log "running in a container ($virt): no disks of its own, $MOUNTPOINT stays on the root file system"
      release_tmpfs
      start_docker
      return 0
    fi
  fi

  cloud=$(detect_cloud)
  log "cloud: $cloud"

  mapfile -t protected < <(protected_disks | sort -u || true)
  if ((${#protected[@]} == 0)); then
    log "cannot identify the disk of the root file system; touching no disk, $MOUNTPOINT stays on the root file system"
    release_tmpfs
    start_docker
    return 0
  fi
  log "system disks (never used): ${protected[*]}"

  # A previous boot's volume group: its key is gone, so its data is unreadable anyway.
  if vgs "$VG" >/dev/null 2>&1; then
    log "removing the volume group $VG left from a previous boot"
    run vgchange --activate n "$VG"
    run vgremove --force --force --yes "$VG"
  fi

  while read -r disk; do
    if [[ " ${protected[*]} " == *" $disk "* ]] || ! matches_cloud "$cloud" "$disk"; then
      continue
    fi
    size=$(lsblk -dnbo SIZE "$disk" 2>/dev/null) || size=0
    ro=$(lsblk -dno RO "$disk" 2>/dev/null) || ro=1
    if [[ ${size//[[:space:]]/} == 0 || ${ro//[[:space:]]/} != 0 ]]; then
      log "skipping $disk (empty or read-only)"
      continue
    fi
    stacked=$(in_use_by "$disk")
    if [[ -n $stacked ]]; then
      log "skipping $disk: in use by ${stacked//$'\n'/ }"
      continue
    fi
    candidates+=("$disk")
  done < <(lsblk -dnpo NAME,TYPE | awk '$2 == "disk" { print $1 }')

  if ((${#candidates[@]} == 0)); then
    log "no local scratch disks besides the system disks: $MOUNTPOINT stays on the root file system"
    release_tmpfs
    start_docker
    return 0
  fi
  log "scratch disks: ${candidates[*]}"

  for disk in "${candidates[@]}"; do
    release_disk "$disk"
    # Partitions first, then the disk itself (partition table and any signatures).
    while read -r part; do
      run wipefs --all --force -- "$part"
    done < <(lsblk -lnpo NAME,TYPE "$disk" | awk '$2 == "part" { print $1 }')
    run wipefs --all --force -- "$disk"
  done

  run pvcreate --force --force --yes "${candidates[@]}"
  run vgcreate --force --yes "$VG" "${candidates[@]}"
  run lvcreate --yes --wipesignatures y --extents 100%FREE --name "$LV" "$VG"

  # A random key in tmpfs (/run), shredded as soon as the volume is open. The key is random
  # and 256 bytes long, so a slow key-derivation function would add only boot time.
  if ((DRY_RUN)); then
    log "would format /dev/$VG/$LV with LUKS2 under a random key and open it as /dev/mapper/$MAPPER"
  else
    KEY_DIR=$(mktemp -d /run/ensure-encrypted-partitions.XXXXXXXX)
    chmod 0700 "$KEY_DIR"
    (umask 077 && head -c 256 /dev/urandom >"$KEY_DIR/key")
    cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
      --key-file "$KEY_DIR/key" "/dev/$VG/$LV"
    cryptsetup open --type luks2 --key-file "$KEY_DIR/key" "/dev/$VG/$LV" "$MAPPER"
    cleanup
    KEY_DIR=
    log "opened /dev/$VG/$LV as /dev/mapper/$MAPPER; the key is shredded"
  fi

  run mkfs.xfs -f -q "/dev/mapper/$MAPPER"
  release_tmpfs
  run mount -o noatime "/dev/mapper/$MAPPER" "$MOUNTPOINT"
  run chmod 1777 "$MOUNTPOINT"
  log "$MOUNTPOINT is on encrypted scratch space over ${#candidates[@]} disk(s)"
  start_docker
}

main
