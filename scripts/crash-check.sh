#!/bin/bash
# Kill -9 ovl-fuse in the middle of copy-ups, renames and removals, then mount the upper it left
# with the kernel's overlay and check it: every file the original, the original plus whole
# appended lines, or (removed, then written again) those lines alone; every rename whole (the dir
# keeps its 50 names). ovl-fuse builds copies in the work dir and renames them in, as the kernel,
# so a killed daemon must never leave a half-copied file in the upper.
# Usage: scripts/crash-check.sh [ROUNDS]   (root; everything under a fresh temp dir, removed after)
set -u
rounds=${1:-10}
bin=$(dirname "$0")/../bin/ovl-fuse
d=$(mktemp -d /tmp/ovlkit-crash-XXXXXX)
cleanup() { umount -l "$d/m" 2>/dev/null; umount "$d/k" 2>/dev/null; rm -rf "$d"; }
trap cleanup EXIT
failed=0
for it in $(seq "$rounds"); do
  umount -l "$d/m" 2>/dev/null
  rm -rf "$d"/{l,u,w,m,k}
  mkdir -p "$d"/{l,u,w,m,k} "$d/l/dir"
  for i in $(seq 200); do head -c 20000 /dev/urandom > "$d/l/f$i"; done
  for i in $(seq 50); do echo "$i" > "$d/l/dir/g$i"; done
  "$bin" -o "lowerdir=$d/l,upperdir=$d/u,workdir=$d/w" "$d/m" || exit 1
  pid=$(pgrep -f "ovl-fuse.*$d/m" | head -1)
  ( for i in $(seq 200); do
      echo appended >> "$d/m/f$i"; mv "$d/m/dir/g$(( i % 50 + 1 ))" "$d/m/dir/h$i"; rm -f "$d/m/f$(( i * 7 % 200 + 1 ))"
    done ) 2>/dev/null &
  writer=$!
  sleep "0.$(( RANDOM % 9 + 1 ))"
  kill -9 "$pid"; wait "$writer"
  umount -l "$d/m"
  rm -rf "$d/w/work"
  mount -t overlay overlay -o "lowerdir=$d/l,upperdir=$d/u,workdir=$d/w" "$d/k" || { echo "round $it: the kernel does not mount the upper"; failed=1; continue; }
  bad=0
  for i in $(seq 200); do
    f=$d/k/f$i
    [ -e "$f" ] || continue
    size=$(stat -c %s "$f")
    if [ "$size" -ge 20000 ] && cmp -s -n 20000 "$f" "$d/l/f$i" && tail -c +20001 "$f" | grep -qvx appended; then bad=$((bad + 1))
    elif [ "$size" -ge 20000 ] && ! cmp -s -n 20000 "$f" "$d/l/f$i"; then bad=$((bad + 1))
    elif [ "$size" -lt 20000 ] && { [ "$size" -eq 0 ] || grep -qvx appended "$f"; }; then bad=$((bad + 1)); fi
  done
  names=$(ls "$d/k/dir" | wc -l)
  echo "round $it: $bad damaged files, $names names in dir (50 expected), $(find "$d/u" -type f | wc -l) files in the upper"
  [ "$bad" -eq 0 ] && [ "$names" -eq 50 ] || failed=1
  umount "$d/k"
done
exit $failed
