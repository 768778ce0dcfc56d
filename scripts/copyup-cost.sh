#!/bin/sh
# Cost of a copy-up to the daemon: N lower files of 1 MiB each get one byte appended through the
# mount (the bench's copyup workload), then sync. Prints, per copy-up, the daemon's CPU (all its
# threads, /proc/<pid>/task/*/schedstat), its voluntary/involuntary context switches and its user
# and system time (/proc/<pid>/task/*/stat, in ticks: 10 ms / N per tick), for each
# ovl-fuse binary given (default: this checkout's) and fuse-overlayfs, alternated R times (each round
# starting one slot later: the first slot of a round costs more, whichever binary has it), with the
# daemon and client pinned to one CPU. FS=tmpfs (default) or FS=ext4 (a dir under /tmp).
# An argument BIN@OPTIONS mounts that binary with those options added (e.g. bin/ovl-fuse@volatile);
# OVL_OPTS=<options> adds options to every ovl-fuse mount.
# STRACE=1 adds `strace -f -c` of the daemon (syscalls per copy-up; CPU is then not comparable);
# with STRACE_LOG=<prefix> the whole trace of each run is kept instead (<prefix>.<round>.<n>).
# PERF=1 adds a `perf record` profile of it (NODE_OPTIONS=--perf-basic-prof names JS frames;
# PERF_SORT, PERF_LINES shape the report). THREADS=1 splits the daemon's CPU by thread.
# strace's and perf's output goes to a dir in /dev/shm: written beside the layers, each of its
# writes would be a fanotify event the daemon's layer watcher reads (the layers' filesystem is
# watched, FS=ext4's being /tmp's).
# Root only; everything is under a fresh temp dir that is unmounted and removed on exit.
set -eu
N=${N:-200} R=${R:-3} CPU=${CPU:-0} FS=${FS:-tmpfs} STRACE=${STRACE:-0} PERF=${PERF:-0}
here=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- "$here/bin/ovl-fuse"
tmp=$(mktemp -d /tmp/ovlkit-copyup-cost-XXXXXX)
out=$(mktemp -d /dev/shm/ovlkit-copyup-cost-XXXXXX)
cleanup() {
  umount "$tmp/m" 2>/dev/null || umount -l "$tmp/m" 2>/dev/null || true
  [ "$FS" = tmpfs ] && umount "$tmp" 2>/dev/null || true
  rm -rf "$tmp" "$out"
}
trap cleanup EXIT INT TERM
[ "$FS" = tmpfs ] && mount -t tmpfs tmpfs "$tmp"
mkdir -p "$tmp/l/cu" "$tmp/m"
head -c 1048576 /dev/urandom >"$tmp/blob"
i=0; while [ $i -lt "$N" ]; do cp "$tmp/blob" "$tmp/l/cu/f$i"; i=$((i + 1)); done
sync

# The daemon serving $tmp/m: the process whose command line names it (fuse-overlayfs, ovl-fuse).
daemon() { for p in $(pgrep -f -- "$tmp/m"); do [ "$p" != $$ ] && echo "$p" && return; done; }
# CPU ns, voluntary and involuntary switches of all threads of pid $1.
sample() {
  cat /proc/"$1"/task/*/schedstat | awk '{ns += $1} END {printf "%.0f ", ns}'
  cat /proc/"$1"/task/*/status | awk '/^voluntary_ctxt/ {v += $2} /^nonvoluntary_ctxt/ {n += $2} END {printf "%d %d ", v, n}'
  cat /proc/"$1"/task/*/stat | sed 's/.*) //' | awk '{u += $12; s += $13} END {printf "%d %d\n", u, s}'
}
run() { # label, mount command...
  label=$1; shift
  rm -rf "$tmp/u" "$tmp/w"; mkdir -p "$tmp/u" "$tmp/w"
  taskset -c "$CPU" "$@"
  pid=$(daemon)
  ls "$tmp/m/cu" >/dev/null
  # The lower's data in the page cache, as the bench has it: this VM's DAMON pages out file pages
  # left idle ~60 s (kdamond, action pageout), so later runs would otherwise copy up from disk.
  cat "$tmp"/l/cu/* >/dev/null
  [ "$STRACE" = 1 ] && { strace -f $sopts -o "$out/strace" -p "$pid" 2>/dev/null & spid=$!; sleep 1; }
  [ "$PERF" = 1 ] && { perf record -q -F 4999 -g -o "$out/perf.data" -p "$pid" 2>/dev/null & spid=$!; sleep 1; }
  before=$(sample "$pid")
  [ "${THREADS:-0}" = 1 ] && for t in /proc/"$pid"/task/*; do echo "$(cat $t/comm | tr ' ' _) $(cut -d' ' -f1 $t/schedstat)"; done >"$tmp/threads0"
  t0=$(date +%s%N)
  taskset -c "$CPU" sh -c 'for f in "$1"/cu/*; do printf x >>"$f"; done; sync' sh "$tmp/m"
  t1=$(date +%s%N)
  after=$(sample "$pid")
  [ "${THREADS:-0}" = 1 ] && for t in /proc/"$pid"/task/*; do echo "$(cat $t/comm | tr ' ' _) $(cut -d' ' -f1 $t/schedstat)"; done >"$tmp/threads1"
  [ "$STRACE" = 1 ] || [ "$PERF" = 1 ] && { kill -INT "$spid"; wait "$spid" 2>/dev/null || true; }
  umount "$tmp/m"
  echo "$before $after" | awk -v n="$N" -v l="$label" -v ms=$(((t1 - t0) / 1000000)) \
    '{printf "%-44s %7.0f µs CPU %5.2f vcs %5.2f ivcs  %6d ms wall  user %4.0f sys %4.0f µs\n", l, ($6-$1)/1e3/n, ($7-$2)/n, ($8-$3)/n, ms, ($9-$4)*1e4/n, ($10-$5)*1e4/n}'
  [ "${THREADS:-0}" = 1 ] && paste "$tmp/threads0" "$tmp/threads1" | awk -v n="$N" '{d = ($4 - $2) / 1e3 / n; if (d >= 1) printf "    %-20s %6.0f µs\n", $1, d}'
  [ "$PERF" = 1 ] && perf report -i "$out/perf.data" --stdio --no-children --sort ${PERF_SORT:-dso,sym} -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -${PERF_LINES:-40} >"$tmp/perf.txt" && sed 's/^/    /' "$tmp/perf.txt"
  runs=$((runs + 1))
  if [ -n "${STRACE_LOG:-}" ] && [ "$STRACE" = 1 ]; then
    cp "$out/strace" "$STRACE_LOG.$r.$runs"
  elif [ "$STRACE" = 1 ]; then
    # strace -c rows: % time, seconds, usecs/call, calls, [errors,] syscall; calls per copy-up.
    awk -v n="$N" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ {printf "    %-20s %6.2f\n", $NF, $4/n}' "$out/strace"
  fi
}
sopts=-c; [ -n "${STRACE_LOG:-}" ] && sopts='-tt -e trace=!futex'
runs=0
opts="lowerdir=$tmp/l,upperdir=$tmp/u,workdir=$tmp/w"
# The first slot of a round costs more, whichever binary has it (a review found 2-3x on tmpfs):
# each round starts one slot later, fuse-overlayfs taking its turn like the others.
set -- "$@" fuse-overlayfs
r=0; while [ $r -lt "$R" ]; do
  i=0; while [ $i -lt $# ]; do
    k=$(( (i + r) % $# + 1 )); eval "spec=\${$k}"; i=$((i + 1))
    if [ "$spec" = fuse-overlayfs ]; then run fuse-overlayfs fuse-overlayfs -o "$opts" "$tmp/m"; continue; fi
    # BIN@OPTIONS: that binary with those mount options added (e.g. build@watch=off).
    bin=${spec%%@*} more=${OVL_OPTS:-}
    [ "$bin" != "$spec" ] && more=${more:+$more,}${spec#*@}
    run "$bin${more:+ $more}" "$bin" -o "$opts${more:+,$more}" "$tmp/m"
  done
  r=$((r + 1))
done
