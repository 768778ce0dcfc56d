#!/bin/bash
# User-space instructions of an ovl-fuse daemon over `find -printf '%y %s'` of the bench's walk tree
# (20 × 20 dirs of 50 files of 64 bytes, made under $T/l on first use), right after the mount (the
# bench's walk_remount / walk_cold shape): the daemon runs under callgrind with instrumentation off
# until the mount is live, then counts all its threads for the walk.
# Usage: scripts/walk-instr.sh BIN   prints "walk instructions total <all threads> worker <busiest>"
#   (the busiest thread is the session worker). SECOND=1: count the same daemon's second walk, after
#   drop_caches 2 (steady state, less warm-up). KEEP=<file>: keep the worker's callgrind file.
# The counts of a first walk move with the machine's load (V8's tiering and helper threads interleave
# differently when the run is slower): compare builds only in alternated runs (docs/fuse.md, "Cold walk").
set -eu
BIN=$1; T=${T:-/tmp/ovlkit-walk-instr}; cg=$(mktemp -d /tmp/ovlkit-walk-cg-XXXX)
if [ ! -d "$T/l" ]; then
  for a in $(seq 0 19); do for b in $(seq 0 19); do
    mkdir -p "$T/l/d$a/e$b"
    for i in $(seq 0 49); do printf '%064d' 0 > "$T/l/d$a/e$b/f$i"; done
  done; done
fi
cat > "$cg/node" <<WRAP
#!/bin/sh
exec valgrind -q --tool=callgrind --instr-atstart=no --separate-threads=yes --callgrind-out-file=$cg/out.%p node "\$@"
WRAP
chmod +x "$cg/node"
rm -rf "$T/u" "$T/w"; mkdir -p "$T/u" "$T/w" "$T/m"
OVL_FUSE_NODE=$cg/node $BIN -f -o lowerdir=$T/l,upperdir=$T/u,workdir=$T/w "$T/m" &
pid=$!
for _ in $(seq 1200); do grep -q " $T/m " /proc/self/mountinfo && break; sleep 0.1; done
sleep 1
if [ "${SECOND:-0}" = 1 ]; then find "$T/m" -printf '%y %s\n' | wc -l; sync; echo 2 > /proc/sys/vm/drop_caches; fi
callgrind_control -i on $pid >/dev/null 2>&1
find "$T/m" -printf '%y %s\n' | wc -l
callgrind_control -i off $pid >/dev/null 2>&1
umount "$T/m"; wait $pid || true
read -r total worker < <(for f in "$cg"/out.*; do awk '/^totals:/ {print $2}' "$f"; done | sort -n | awk '{s += $1; m = $1} END {print s, m}')
echo "walk instructions total $total worker $worker"
if [ -n "${KEEP:-}" ]; then cp "$(for f in "$cg"/out.*; do echo "$(awk '/^totals:/ {print $2}' "$f") $f"; done | sort -n | tail -1 | cut -d' ' -f2)" "$KEEP"; fi
rm -rf "$cg"
