#!/bin/bash
# What one open + read + close of a small file costs a FUSE overlay daemon (git status and fsck
# do little else once their stats are cached): N files of 100 bytes in 20 dirs, in the upper
# (WHERE=upper, default: files written through the mount, as after `sed -i`) or the lower
# (WHERE=lower), each opened, read and closed R times by a node client, client and daemon pinned
# to CPUs $CPU (default 0: one CPU, no cross-CPU wake-up), tmpfs layers (FS=ext4: /tmp's own). Prints wall µs per open,
# the daemon's CPU µs per open (schedstat of all its threads), and its context switches per open.
# Usage: scripts/open-cost.sh LABEL DAEMON [ARGS…]   the daemon runs in the foreground and gets
#   `-o lowerdir=…,upperdir=…,workdir=…$OPTS MERGED` appended, e.g.
#   scripts/open-cost.sh ovl-fuse bin/ovl-fuse -f;  scripts/open-cost.sh fuse-overlayfs fuse-overlayfs -f
# Root only; everything is under a fresh temp dir, unmounted and removed on exit.
set -eu
N=${N:-2000} R=${R:-5} CPU=${CPU:-0} WHERE=${WHERE:-upper}
label=$1; shift
tmp=$(mktemp -d /tmp/ovlkit-open-cost-XXXXXX)
cleanup() { umount "$tmp/m" 2>/dev/null || umount -l "$tmp/m" 2>/dev/null || true; sleep 0.2; umount "$tmp" 2>/dev/null || umount -l "$tmp" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
[ "${FS:-tmpfs}" = tmpfs ] && mount -t tmpfs tmpfs "$tmp"
mkdir -p "$tmp/l" "$tmp/u" "$tmp/w" "$tmp/m"
make='const fs=require("fs"),[d,n]=[process.argv[1],+process.argv[2]];
for(let k=0;k<20;k++)fs.mkdirSync(`${d}/d${k}`,{recursive:true});for(let i=0;i<n;i++)fs.writeFileSync(`${d}/d${i%20}/f${i}`,"x".repeat(100))'
[ "$WHERE" = lower ] && node -e "$make" "$tmp/l" "$N"
taskset -c "$CPU" "$@" -o "lowerdir=$tmp/l,upperdir=$tmp/u,workdir=$tmp/w${OPTS:-}" "$tmp/m" &
pid=$!
for _ in $(seq 100); do grep -q " $tmp/m " /proc/self/mountinfo && break; sleep 0.05; done
[ "$WHERE" = upper ] && taskset -c "$CPU" node -e "$make" "$tmp/m" "$N"
reads='const fs=require("fs"),[d,n,r]=[process.argv[1],+process.argv[2],+process.argv[3]],b=Buffer.alloc(4096);
const p=[];for(let i=0;i<n;i++)p.push(`${d}/d${i%20}/f${i}`);for(const f of p)fs.lstatSync(f);
const t=process.hrtime.bigint();for(let k=0;k<r;k++)for(const f of p){const fd=fs.openSync(f,"r");fs.readSync(fd,b,0,4096,0);fs.closeSync(fd)}
console.log((Number(process.hrtime.bigint()-t)/1e3/n/r).toFixed(1))'
taskset -c "$CPU" node -e "$reads" "$tmp/m" "$N" 1 >/dev/null
sum() { cat /proc/$pid/task/*/"$1" | awk -v k="$2" '$1==k || k=="" {s+=(k=="" ? $1 : $2)} END {printf "%.0f", s}'; }
cpu0=$(sum schedstat ''); v0=$(sum status voluntary_ctxt_switches:); i0=$(sum status nonvoluntary_ctxt_switches:)
wall=$(taskset -c "$CPU" node -e "$reads" "$tmp/m" "$N" "$R")
cpu1=$(sum schedstat ''); v1=$(sum status voluntary_ctxt_switches:); i1=$(sum status nonvoluntary_ctxt_switches:)
umount "$tmp/m"; wait $pid || true
awk -v l="$label" -v w="$wall" -v c=$((cpu1 - cpu0)) -v v=$((v1 - v0)) -v i=$((i1 - i0)) -v n=$((N * R)) \
  'BEGIN {printf "%-24s wall %7s µs/open  daemon cpu %6.1f µs/open  switches/open: voluntary %.2f, involuntary %.2f\n", l, w, c/1000/n, v/n, i/n}'
exit 0
