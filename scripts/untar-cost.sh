#!/bin/bash
# What an untar costs a FUSE overlay daemon: `tar -xf TARBALL` (default: the bench's tarball of
# /usr/include) into an empty lower dir through the mount, client and daemon on CPU $CPU (default 0),
# layers on a fresh tmpfs (FS=ext4: a temp dir under /tmp instead). Prints the wall time, the
# daemon's CPU (schedstat of all its threads; THREADS=1 per thread), its context switches, and for
# ovl-fuse the requests the kernel sent (OVL_FUSE_STATS). STRACE=1 counts the daemon's syscalls
# (strace -f -c, printed at the end); DEBUG=1 keeps the daemon's stderr (fuse-overlayfs -d: count
# its requests with `grep -o 'opcode: [A-Z_]*' | sort | uniq -c`) in $OUT.
# Usage: scripts/untar-cost.sh LABEL DAEMON [ARGS…]   the daemon runs in the foreground and gets
#   `-o lowerdir=…,upperdir=…,workdir=…$OPTS MERGED` appended, e.g.
#   scripts/untar-cost.sh ovl-fuse bin/ovl-fuse -f;  scripts/untar-cost.sh fuse-overlayfs fuse-overlayfs -f
# Root only; everything is under a fresh temp dir, unmounted and removed on exit.
set -eu
CPU=${CPU:-0} FS=${FS:-tmpfs} TARBALL=${TARBALL:-/tmp/ovlkit-bench-cache/untar_usr_include.tar}
OUT=${OUT:-/tmp/untar-cost-debug.txt}
label=$1; shift
tmp=$(mktemp -d /tmp/ovlkit-untar-cost-XXXXXX)
cleanup() {
  umount "$tmp/m" 2>/dev/null || umount -l "$tmp/m" 2>/dev/null || true
  sleep 0.2
  [ "$FS" != tmpfs ] || umount "$tmp" 2>/dev/null || umount -l "$tmp" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
[ "$FS" != tmpfs ] || mount -t tmpfs -o size=2g tmpfs "$tmp"
mkdir -p "$tmp/l/src" "$tmp/u" "$tmp/w" "$tmp/m"
export OVL_FUSE_STATS=$tmp/stats.json
cat "$TARBALL" >/dev/null
opts="lowerdir=$tmp/l,upperdir=$tmp/u,workdir=$tmp/w${OPTS:-}"
if [ -n "${STRACE:-}" ]; then
  taskset -c "$CPU" strace -f -c -o "$tmp/strace.txt" "$@" -o "$opts" "$tmp/m" &
elif [ -n "${DEBUG:-}" ]; then
  taskset -c "$CPU" "$@" -o "$opts" "$tmp/m" 2>"$OUT" &
else
  taskset -c "$CPU" "$@" -o "$opts" "$tmp/m" &
fi
pid=$!
for _ in $(seq 200); do grep -q " $tmp/m " /proc/self/mountinfo && break; sleep 0.05; done
sleep 0.3
# Under strace the daemon is strace's child.
[ -z "${STRACE:-}" ] || pid=$(pgrep -P "$pid" | head -1)
# %.0f, not %d: mawk's %d stops at 2^31 - 1 (2.1 s of CPU in ns).
sum() { cat /proc/"$pid"/task/*/"$1" 2>/dev/null | awk -v k="$2" '$1==k || k=="" {s+=(k=="" ? $1 : $2)} END {printf "%.0f", s}'; }
threads() { [ -z "${THREADS:-}" ] || for t in /proc/"$pid"/task/*; do echo "  $1 thread $(basename "$t") $(cat "$t/comm") $(awk '{printf "%.1f ms", $1 / 1e6}' "$t/schedstat")"; done; }
threads before
cpu0=$(sum schedstat '') v0=$(sum status voluntary_ctxt_switches:) i0=$(sum status nonvoluntary_ctxt_switches:)
t0=$(date +%s%N)
taskset -c "$CPU" tar -xf "$TARBALL" -C "$tmp/m/src" || echo "tar failed"
t1=$(date +%s%N)
cpu1=$(sum schedstat '') v1=$(sum status voluntary_ctxt_switches:) i1=$(sum status nonvoluntary_ctxt_switches:)
threads after
umount "$tmp/m"
wait || true
awk -v l="$label" -v w=$(((t1 - t0) / 1000000)) -v c=$((cpu1 - cpu0)) -v v=$((v1 - v0)) -v i=$((i1 - i0)) -v load="$(cut -d' ' -f1 /proc/loadavg)" \
  'BEGIN {printf "%-24s wall %6d ms  daemon cpu %7.1f ms  switches: voluntary %d, involuntary %d  load %s\n", l, w, c / 1e6, v, i, load}'
[ ! -s "$tmp/stats.json" ] || echo "  requests: $(cat "$tmp/stats.json")"
[ -z "${STRACE:-}" ] || head -40 "$tmp/strace.txt"
exit 0
