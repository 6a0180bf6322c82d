#!/bin/bash
# arv-image: /usr/local/sbin/detect-gpu.sh, run before systemd-modules-load.service
# (drop-in systemd-modules-load.service.d/detect-gpu.conf).
#
# The NVIDIA module list is installed as /etc/modules-load.d/nvidia*.avail, which
# systemd-modules-load ignores. When this machine has an NVIDIA display or 3D controller,
# link each list into /run/modules-load.d/ as *.conf so the modules load; otherwise do
# nothing, so the same image boots without failed units on CPU-only instance types.
# Never fails the boot: every problem is logged and the script exits 0.
set -uo pipefail
shopt -s nullglob

has_nvidia_gpu() {
  local dev vendor class
  for dev in /sys/bus/pci/devices/*; do
    [[ -r $dev/vendor && -r $dev/class ]] || continue
    read -r vendor <"$dev/vendor" || continue
    read -r class <"$dev/class" || continue
    # PCI vendor 0x10de is NVIDIA; class 0x03xxxx is a display controller (VGA or 3D).
    if [[ $vendor == 0x10de && $class == 0x03* ]]; then
      echo "detect-gpu: NVIDIA GPU found at ${dev##*/} (class $class)"
      return 0
    fi
  done
  return 1
}

lists=(/etc/modules-load.d/nvidia*.avail)
if ((${#lists[@]} == 0)); then
  echo "detect-gpu: no /etc/modules-load.d/nvidia*.avail module lists; nothing to do"
  exit 0
fi

if has_nvidia_gpu; then
  mkdir -p /run/modules-load.d || exit 0
  for list in "${lists[@]}"; do
    name=${list##*/}
    if ln -sf "$list" "/run/modules-load.d/${name%.avail}.conf"; then
      echo "detect-gpu: enabled module list $list"
    else
      echo "detect-gpu: could not link $list into /run/modules-load.d" >&2
    fi
  done
else
  echo "detect-gpu: no NVIDIA GPU; NVIDIA kernel modules stay unloaded"
fi
exit 0
