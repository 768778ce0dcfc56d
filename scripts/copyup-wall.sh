#!/bin/sh
# Wall time of the bench's copy-up workload through each overlay, side by side: N lower files of
# 1 MiB (page cache warm) each get one byte appended through the mount by a shell client, then
# `sync`; printed as "label copy + sync = total ms". Kernel overlayfs, each ovl-fuse binary given
# (default: this checkout's; BIN@OPTIONS adds mount options, e.g. bin/ovl-fuse@volatile) and
# fuse-overlayfs, alternated R times, unpinned, on ext4 under /tmp (the bench's layers).
# Unlike scripts/copyup-cost.sh (one CPU, daemon CPU per copy-up) this keeps the kernel in the
# comparison and the disk's fsync cost in the figure. Root only; everything is under a fresh temp
# dir that is unmounted and removed on exit.
set -eu
N=${N:-200} R=${R:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- "$here/bin/ovl-fuse"
tmp=$(mktemp -d /tmp/ovlkit-copyup-wall-XXXXXX)
trap 'umount "$tmp/m" 2>/dev/null || umount -l "$tmp/m" 2>/dev/null || true; rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/l/cu" "$tmp/m"
head -c 1048576 /dev/urandom >"$tmp/blob"
i=0; while [ $i -lt "$N" ]; do cp "$tmp/blob" "$tmp/l/cu/f$i"; i=$((i + 1)); done
sync
now() { date +%s%N; }
run() { # label, mount command...
  label=$1; shift
  rm -rf "$tmp/u" "$tmp/w"; mkdir -p "$tmp/u" "$tmp/w"; sync
  "$@"
  ls "$tmp/m/cu" >/dev/null
  t0=$(now)
  sh -c 'for f in "$1"/cu/*; do printf x >>"$f"; done' sh "$tmp/m"
  t1=$(now); sync; t2=$(now)
  umount "$tmp/m"
  echo "$label $(((t1 - t0) / 1000000)) + $(((t2 - t1) / 1000000)) = $(((t2 - t0) / 1000000)) ms"
}
opts="lowerdir=$tmp/l,upperdir=$tmp/u,workdir=$tmp/w"
r=0; while [ $r -lt "$R" ]; do
  run kernel mount -t overlay overlay -o "$opts" "$tmp/m"
  for spec in "$@"; do
    bin=${spec%%@*} more=
    [ "$bin" != "$spec" ] && more=${spec#*@}
    run "$spec" "$bin" -o "$opts${more:+,$more}" "$tmp/m"
  done
  run fuse-overlayfs fuse-overlayfs -o "$opts" "$tmp/m" 2>/dev/null
  r=$((r + 1))
done
