#!/bin/bash
# What `-o spin` does beside CPU-bound tasks: HOGS busy loops (default 2: every CPU of this VM kind
# busy) run while a client works through an ovl-fuse mount, `spin=0` and each SPINS value (default
# 100) alternated R times (default 5), unpinned, tmpfs layers. Workloads: `look` (lstat of 20,000
# lower files one after another, a fresh mount each run, so each sends LOOKUP), `create` (3,000
# writeFileSync of 4 KiB). Per run: the client's wall ms, the daemon's CPU ms (schedstat of all its
# threads) and the hogs' CPU ms per second of that wall (their progress: what the others lost).
# BINS (default this checkout's bin/ovl-fuse) compares builds: spin=0 runs the first, every SPINS
# value runs each.
# Usage: HOGS=2 R=5 SPINS="100" scripts/spin-contention.sh [look|create ...]   root only; everything
# is under a fresh temp dir (a tmpfs), unmounted and removed on exit, hogs killed.
set -eu
HOGS=${HOGS:-2} R=${R:-5} SPINS=${SPINS:-100} N=${N:-20000}
here=$(cd "$(dirname "$0")/.." && pwd)
BINS=${BINS:-$here/bin/ovl-fuse}
[ $# -gt 0 ] || set -- look create
tmp=$(mktemp -d /tmp/ovlkit-spin-contention-XXXXXX)
hogs=()
stop_hogs() { if [ ${#hogs[@]} -gt 0 ]; then kill "${hogs[@]}" 2>/dev/null || true; wait "${hogs[@]}" 2>/dev/null || true; fi; hogs=(); }
cleanup() {
  stop_hogs || true
  umount "$tmp/m" 2>/dev/null || umount -l "$tmp/m" 2>/dev/null || true
  sleep 0.2; umount "$tmp" 2>/dev/null || umount -l "$tmp" 2>/dev/null || true; rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
mount -t tmpfs tmpfs "$tmp"
mkdir -p "$tmp/l/look" "$tmp/m"
node -e 'const fs=require("fs");for(let i=0;i<+process.argv[2];i++)fs.writeFileSync(`${process.argv[1]}/f${i}`,"x")' "$tmp/l/look" "$N"
cpu_ns() { cat "$@" 2>/dev/null | awk '{s+=$1} END {printf "%.0f", s}'; }
client_look='const fs=require("fs"),d=process.argv[1],n=+process.argv[2];const t=process.hrtime.bigint();
for(let i=0;i<n;i++)fs.lstatSync(`${d}/look/f${i}`);console.log(Number(process.hrtime.bigint()-t)/1e6)'
client_create='const fs=require("fs"),d=process.argv[1]+"/out",b=Buffer.alloc(4096,1);fs.mkdirSync(d);const t=process.hrtime.bigint();
for(let i=0;i<3000;i++)fs.writeFileSync(`${d}/n${i}`,b);console.log(Number(process.hrtime.bigint()-t)/1e6)'
run() { # workload spin bin label
  rm -rf "$tmp/u" "$tmp/w"; mkdir -p "$tmp/u" "$tmp/w"
  "$3" -f -o "lowerdir=$tmp/l,upperdir=$tmp/u,workdir=$tmp/w,spin=$2" "$tmp/m" &
  local pid=$!
  for _ in $(seq 100); do grep -q " $tmp/m " /proc/self/mountinfo && break; sleep 0.05; done
  local i
  for ((i = 0; i < HOGS; i++)); do sh -c 'while :; do :; done' & hogs+=($!); done
  sleep 0.3
  local code; [ "$1" = look ] && code=$client_look || code=$client_create
  local d0 h0 wall d1 h1
  d0=$(cpu_ns /proc/$pid/task/*/schedstat); h0=$(for h in "${hogs[@]}"; do cat /proc/$h/schedstat; done | awk '{s+=$1} END {printf "%.0f", s}')
  wall=$(node -e "$code" "$tmp/m" "$N")
  d1=$(cpu_ns /proc/$pid/task/*/schedstat); h1=$(for h in "${hogs[@]}"; do cat /proc/$h/schedstat; done | awk '{s+=$1} END {printf "%.0f", s}')
  stop_hogs
  umount "$tmp/m"; wait $pid || true
  awk -v w="$1" -v s="$2$4" -v wall="$wall" -v d=$((d1 - d0)) -v h=$((h1 - h0)) \
    'BEGIN {printf "%-6s spin=%-8s wall %7.0f ms  daemon cpu %6.0f ms  hogs %5.0f ms cpu/s\n", w, s, wall, d/1e6, h/1e6/(wall/1000)}'
}
for w in "$@"; do
  for ((r = 0; r < R; r++)); do
    run "$w" 0 "${BINS%% *}" ""
    b=0
    for bin in $BINS; do for s in $SPINS; do run "$w" "$s" "$bin" " #$b"; done; b=$((b + 1)); done
  done
done
