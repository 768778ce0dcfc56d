#!/bin/bash
# What the layer watcher costs a host that runs many mounts on one filesystem, as a container host
# does (every layer under one data root): each mount's daemon marks the whole filesystem, so every
# change anyone makes there reaches every daemon. N idle mounts (default 20), each with its own
# lower/upper/work on one tmpfs, then a writer outside every layer creates, writes and removes
# FILES files (default 5,000) in a dir of its own. Per setting: the writer's wall ms and the CPU
# ms all N daemons spent meanwhile (schedstat of all their threads). Settings (default all):
# `on` (ovl-fuse, the watcher on: the default), `off` (`-o watch=off`), `fuse-overlayfs`.
# Usage: N=20 FILES=5000 R=3 scripts/watch-density.sh [on off fuse-overlayfs]   root only;
# everything is under a fresh temp dir (a tmpfs), unmounted and removed on exit.
set -eu
N=${N:-20} FILES=${FILES:-5000} R=${R:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$here/bin/ovl-fuse}
[ $# -gt 0 ] || set -- on off fuse-overlayfs
tmp=$(mktemp -d /tmp/ovlkit-watch-density-XXXXXX)
cleanup() {
  for m in "$tmp"/s*/m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  sleep 0.3; umount "$tmp" 2>/dev/null || umount -l "$tmp" 2>/dev/null || true; rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
mount -t tmpfs tmpfs "$tmp"
for i in $(seq "$N"); do mkdir -p "$tmp/s$i/l/d" "$tmp/s$i/m"; echo "$i" >"$tmp/s$i/l/d/f"; done
writer='const fs=require("fs"),d=process.argv[1],n=+process.argv[2],b=Buffer.alloc(4096,1);fs.mkdirSync(d);
const t=process.hrtime.bigint();for(let i=0;i<n;i++)fs.writeFileSync(`${d}/f${i}`,b);for(let i=0;i<n;i++)fs.unlinkSync(`${d}/f${i}`);
console.log((Number(process.hrtime.bigint()-t)/1e6).toFixed(0))'
daemons_cpu_ms() { # total CPU ms of every thread of the given pids
  local s=0 p f
  for p in "$@"; do for f in /proc/"$p"/task/*/schedstat; do s=$((s + $(cut -d' ' -f1 "$f" 2>/dev/null || echo 0))); done; done
  echo $((s / 1000000))
}
run() { # setting round
  local pids=() i
  for i in $(seq "$N"); do
    rm -rf "$tmp/s$i/u" "$tmp/s$i/w"; mkdir -p "$tmp/s$i/u" "$tmp/s$i/w"
    local o="lowerdir=$tmp/s$i/l,upperdir=$tmp/s$i/u,workdir=$tmp/s$i/w"
    case $1 in
      on) "$BIN" -o "$o" "$tmp/s$i/m" ;;
      off) "$BIN" -o "$o,watch=off" "$tmp/s$i/m" ;;
      fuse-overlayfs) fuse-overlayfs -o "$o" "$tmp/s$i/m" 2>/dev/null ;;  # it warns of mount(8)'s lazytime
    esac
  done
  for i in $(seq "$N"); do cat "$tmp/s$i/m/d/f" >/dev/null; done
  # The daemons: every process whose command line ends with one of the mount points.
  pids=($(pgrep -f -- "$tmp/s[0-9]+/m\$"))
  [ ${#pids[@]} -eq "$N" ] || { echo "found ${#pids[@]} daemons, expected $N" >&2; exit 1; }
  sleep 1
  local before after wall
  before=$(daemons_cpu_ms "${pids[@]}")
  rm -rf "$tmp/out"
  wall=$(node -e "$writer" "$tmp/out" "$FILES")
  sleep 1 # let the daemons drain what is queued
  after=$(daemons_cpu_ms "${pids[@]}")
  printf '%-15s round %s: writer %6s ms, %s daemons %6s ms CPU\n' "$1" "$2" "$wall" "$N" $((after - before))
  for i in $(seq "$N"); do
    if [ "$1" = fuse-overlayfs ]; then umount "$tmp/s$i/m"; else "$BIN" umount "$tmp/s$i/m"; fi
  done
}
for r in $(seq "$R"); do for s in "$@"; do run "$s" "$r"; done; done
