#!/bin/sh
# Per-request cost: stat(2) of each of N files in 20 dirs through each overlay with its caches off
# (kernel overlayfs for reference, fuse-overlayfs -o timeout=0, ovl-fuse cache=never on both
# transports), client and daemon pinned to one CPU so a round trip is not a cross-CPU wake-up.
# Prints µs per stat, median of R rounds, one line per target. Root only; everything is under a
# fresh temp dir that is unmounted and removed on exit.
set -eu
N=${N:-5000} R=${R:-5} CPU=${CPU:-0}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/ovlkit-per-request-XXXXXX)
cleanup() { umount "$tmp/m" 2>/dev/null || umount -l "$tmp/m" 2>/dev/null || true; sleep 0.2; umount "$tmp" 2>/dev/null || umount -l "$tmp" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
mount -t tmpfs tmpfs "$tmp"
mkdir -p "$tmp/l" "$tmp/m"
node -e '
const fs = require("fs"); const [root, n] = [process.argv[1], Number(process.argv[2])];
for (let d = 0; d < 20; d++) { fs.mkdirSync(`${root}/d${d}`); }
for (let i = 0; i < n; i++) fs.writeFileSync(`${root}/d${i % 20}/f${i}`, "x");
' "$tmp/l" "$N"
# The timed client: every file stat-ed once per round (lstat, as find does), median µs per stat.
client='const fs=require("fs"),[m,n,r]=[process.argv[1],+process.argv[2],+process.argv[3]];const t=[];
for(let k=0;k<r;k++){const s=process.hrtime.bigint();for(let i=0;i<n;i++)fs.lstatSync(`${m}/d${i%20}/f${i}`);t.push(Number(process.hrtime.bigint()-s)/1e3/n);}
t.sort((a,b)=>a-b);console.log(t[t.length>>1].toFixed(1));'
fresh() { rm -rf "$tmp/u" "$tmp/w"; mkdir -p "$tmp/u" "$tmp/w"; }
run() { # name, mount command...
  name=$1; shift; fresh
  taskset -c "$CPU" "$@"
  us=$(taskset -c "$CPU" node -e "$client" "$tmp/m" "$N" "$R")
  umount "$tmp/m"
  printf '%-40s %8s µs/stat\n' "$name" "$us"
}
opts="lowerdir=$tmp/l,upperdir=$tmp/u,workdir=$tmp/w"
run 'kernel overlayfs' mount -t overlay overlay -o "$opts" "$tmp/m"
run 'fuse-overlayfs -o timeout=0' fuse-overlayfs -o "$opts,timeout=0" "$tmp/m"
run 'ovl-fuse cache=never' "$here/bin/ovl-fuse" -o "$opts,cache=never" "$tmp/m"
run 'ovl-fuse transport=fuse-native,cache=never' "$here/bin/ovl-fuse" -o "$opts,cache=never,transport=fuse-native" "$tmp/m"
