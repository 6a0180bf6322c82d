#!/bin/bash
# boot-init.sh ROOT LIMIT_SECONDS [SYSTEMD-NSPAWN OPTION...]
#
# PID 1 of an e2e booted machine (test/support/booted.ts): boots the directory ROOT with
#   systemd-nspawn -D ROOT -b --register=no --keep-unit [OPTION...]
# (systemd as the container's PID 1, sharing the host's network unless an OPTION says
# otherwise). Run it as
#   unshare --mount --pid --fork --mount-proc --kill-child --propagation private -- bash boot-init.sh ...
# so that everything the boot starts lives in one PID namespace and one mount namespace.
#
# - --register=no: there is no systemd-machined to register with (without it nspawn fails with
#   "Failed to open system bus"); --keep-unit: nspawn runs in the caller's unit instead of asking
#   the host's systemd (which need not be PID 1 here) for a scope.
# - SYSTEMD_NSPAWN_TMPFS_TMP=0: nspawn would otherwise mount its own tmpfs on /tmp; with it, /tmp
#   is whatever the image makes it (Debian 13's tmp.mount included).
# - It ends when nspawn exits (the container powered off: exit status nspawn's), when its
#   standard input reaches EOF (the caller closed it, or died), after LIMIT_SECONDS (status 124),
#   or on SIGTERM/SIGINT/SIGHUP. When PID 1 of a PID namespace exits, the kernel kills every
#   process left in it, the container's systemd and its services included (their PID namespace
#   is nested in this one), and the mount namespaces go with the last of them: a hung boot
#   leaves nothing behind. /run is a private tmpfs here: nspawn's own state stays off the host.
set -euo pipefail

die() {
  printf 'boot-init: %s\n' "$*" >&2
  exit 1
}

[[ $# -ge 2 ]] || die "usage: $0 ROOT LIMIT_SECONDS [SYSTEMD-NSPAWN OPTION...]"
R=$1
LIMIT=$2
shift 2
((BASHPID == 1)) || die "must run as PID 1 of a new PID namespace (unshare --pid --fork)"
[[ $R == /* && -d $R ]] || die "ROOT '$R' is not an existing absolute directory"
[[ -x $R/sbin/init || -L $R/sbin/init ]] || die "ROOT '$R' has no /sbin/init (systemd-sysv)"
[[ $LIMIT =~ ^[0-9]+$ ]] || die "LIMIT_SECONDS '$LIMIT' is not a number"

# /proc must be this PID namespace's (unshare --mount-proc, which also makes the mount namespace
# private): systemd-nspawn opens /proc/PID/... of the children it forks by the PIDs it sees
# (with the host's /proc, --private-network fails: "Failed to open child network namespace").
read -r proc_pid _ </proc/self/stat # bash opens it itself: "self" is this shell
[[ $proc_pid == "$BASHPID" ]] ||
  die "/proc is not this PID namespace's (unshare --mount-proc)"

# systemd-nspawn keeps its locks and mount-propagation directories in /run/systemd/nspawn:
# on a private tmpfs, so that the host's /run is left as it was.
mount -t tmpfs -o mode=0755,nosuid,nodev,size=16m arv-e2e-boot-run /run

exec 3<&0 </dev/null
SYSTEMD_NSPAWN_TMPFS_TMP=0 systemd-nspawn --quiet -D "$R" -b --register=no --keep-unit "$@" 3<&- &
nspawn_pid=$!
cat <&3 >/dev/null &
watcher=$!
exec 3<&-
sleep "$LIMIT" &
limiter=$!

trap 'exit 0' TERM INT HUP
set +e
wait -n -p ended "$nspawn_pid" "$watcher" "$limiter"
rc=$?
case ${ended:-} in
  "$nspawn_pid")
    printf 'boot-init: systemd-nspawn exited with status %s\n' "$rc" >&2
    exit "$rc"
    ;;
  "$limiter")
    printf 'boot-init: the time limit (%s s) is reached: killing the machine\n' "$LIMIT" >&2
    exit 124
    ;;
  *) exit 0 ;;
esac
