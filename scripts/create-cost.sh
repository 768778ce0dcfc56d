#!/bin/bash
# What one create costs a FUSE overlay daemon: N × node writeFileSync(4 KiB) into a lower dir (the
# bench's create workload) on tmpfs layers, after WARM (default 500) warm-up creates, client and daemon on CPUs
# $CPU (default 0: one CPU, so a round trip is no cross-CPU wake-up). Prints wall µs per create,
# the daemon's CPU µs per create (schedstat of all its threads), its voluntary and involuntary
# context switches per create, and, for ovl-fuse, the requests the kernel sent (OVL_FUSE_STATS).
# Usage: scripts/create-cost.sh LABEL DAEMON [ARGS…]   the daemon runs in the foreground and gets
#   `-o lowerdir=…,upperdir=…,workdir=…$OPTS MERGED` appended, e.g.
#   scripts/create-cost.sh ovl-fuse bin/ovl-fuse -f;  scripts/create-cost.sh fuse-overlayfs fuse-overlayfs -f
# Root only; everything is under a fresh temp dir, unmounted and removed on exit.
set -eu
N=${N:-3000} CPU=${CPU:-0} WARM=${WARM:-500}
label=$1; shift
tmp=$(mktemp -d /tmp/ovlkit-create-cost-XXXXXX)
cleanup() { umount "$tmp/m" 2>/dev/null || umount -l "$tmp/m" 2>/dev/null || true; sleep 0.2; umount "$tmp" 2>/dev/null || umount -l "$tmp" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
mount -t tmpfs tmpfs "$tmp"
mkdir -p "$tmp/l/out" "$tmp/u" "$tmp/w" "$tmp/m"
export OVL_FUSE_STATS=$tmp/stats.json
taskset -c "$CPU" "$@" -o "lowerdir=$tmp/l,upperdir=$tmp/u,workdir=$tmp/w${OPTS:-}" "$tmp/m" &
pid=$!
for _ in $(seq 100); do grep -q " $tmp/m " /proc/self/mountinfo && break; sleep 0.05; done
creates='const fs=require("fs"),[d,n]=[process.argv[1],+process.argv[2]],b=Buffer.alloc(4096,1);fs.mkdirSync(d,{recursive:true});
const t=process.hrtime.bigint();for(let i=0;i<n;i++)fs.writeFileSync(`${d}/n${i}`,b);console.log((Number(process.hrtime.bigint()-t)/1e3/n).toFixed(1))'
taskset -c "$CPU" node -e "$creates" "$tmp/m/warm" "$WARM" >/dev/null
sum() { cat /proc/$pid/task/*/"$1" | awk -v k="$2" '$1==k || k=="" {s+=(k=="" ? $1 : $2)} END {printf "%.0f", s}'; }
cpu0=$(sum schedstat ''); v0=$(sum status voluntary_ctxt_switches:); i0=$(sum status nonvoluntary_ctxt_switches:)
wall=$(taskset -c "$CPU" node -e "$creates" "$tmp/m/out" "$N")
cpu1=$(sum schedstat ''); v1=$(sum status voluntary_ctxt_switches:); i1=$(sum status nonvoluntary_ctxt_switches:)
umount "$tmp/m"; wait $pid || true
awk -v l="$label" -v w="$wall" -v c=$((cpu1 - cpu0)) -v v=$((v1 - v0)) -v i=$((i1 - i0)) -v n="$N" \
  'BEGIN {printf "%-24s wall %7s µs/create  daemon cpu %6.1f µs/create  switches/create: voluntary %.2f, involuntary %.2f\n", l, w, c/1000/n, v/n, i/n}'
[ -s "$tmp/stats.json" ] && echo "  requests (warm-up and mkdir included): $(cat "$tmp/stats.json")"
exit 0
