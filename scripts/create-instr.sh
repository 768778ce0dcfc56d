#!/bin/bash
# User-space instructions one create costs an ovl-fuse daemon, load-independent: the daemon runs
# under callgrind with instrumentation off until the mount is live and WARM (default 300) creates
# are done, then counts the instructions of all its threads for N creates (the create-cost.sh
# workload, tmpfs layers). Run it for two N and take the difference, e.g. (1,200 − 200)/1,000,
# so what a run costs once (the client's start, the mkdir) cancels out.
# Usage: N=1200 scripts/create-instr.sh BIN -f [ARGS…]   prints "instructions WORK N <total> worker <n>"
#   (whole daemon, session worker thread); KEEP=<dir> keeps the callgrind files there for callgrind_annotate.
# WORK= another workload per op instead of a create: `neg` (stat of a missing name: one negative
#   LOOKUP), `copyup` (append to a lower file), `rm` (unlink and rmdir a lower dir d/a/f, d/g, the
#   way rm -rf does: four requests and two whiteouts per op), `read` / `write` (pread / pwrite of 4 KiB
#   with O_DIRECT, cycling over the first 64 pages of a lower file / of a file made in the mount: one
#   READ or WRITE request per op; give OPTS=,passthrough=off, or an open for writing passes through).
# EXC=1: no callgrind; count the exceptions the daemon throws during the N ops instead
#   (node --print-all-exceptions; a hot path left by a throw gets no V8 feedback, docs/fuse.md).
# Root only; everything is under a fresh temp dir, unmounted and removed on exit.
set -eu
N=${N:-1000} WARM=${WARM:-300}
tmp=$(mktemp -d /tmp/ovlkit-create-instr-XXXXXX)
cleanup() { umount "$tmp/m" 2>/dev/null || umount -l "$tmp/m" 2>/dev/null || true; sleep 0.2; umount "$tmp" 2>/dev/null || umount -l "$tmp" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
mount -t tmpfs tmpfs "$tmp"
mkdir -p "$tmp/l/out" "$tmp/u" "$tmp/w" "$tmp/m" "$tmp/cg"
WORK=${WORK:-create}
for d in out warm; do
  for i in $(seq 0 $((N > WARM ? N : WARM))); do
    case $WORK in
    copyup) mkdir -p "$tmp/l/$d"; echo a > "$tmp/l/$d/f$i" ;;
    rm) mkdir -p "$tmp/l/$d/t$i/a"; : > "$tmp/l/$d/t$i/a/f"; : > "$tmp/l/$d/t$i/g" ;;
    read) head -c $((64 * 4096)) /dev/zero > "$tmp/l/data"; break 2 ;;
    *) break 2 ;;
    esac
  done
done
if [ -n "${EXC:-}" ]; then
  printf '#!/bin/sh\nexec node --print-all-exceptions "$@" > %s/cg/exc 2>&1\n' "$tmp" > "$tmp/cg/node"
else
  cat > "$tmp/cg/node" <<WRAP
#!/bin/sh
exec valgrind -q --tool=callgrind --instr-atstart=no --separate-threads=yes --callgrind-out-file=$tmp/cg/out.%p node "\$@"
WRAP
fi
chmod +x "$tmp/cg/node"
OVL_FUSE_NODE=$tmp/cg/node "$@" -o "lowerdir=$tmp/l,upperdir=$tmp/u,workdir=$tmp/w${OPTS:-}" "$tmp/m" &
pid=$!
for _ in $(seq 1200); do grep -q " $tmp/m " /proc/self/mountinfo && break; sleep 0.1; done
ops='const fs=require("fs"),[w,d,n]=[process.argv[1],process.argv[2],+process.argv[3]],b=Buffer.alloc(4096,1),k=fs.constants;let fd;
const op={create:(i)=>fs.writeFileSync(`${d}/n${i}`,b),neg:(i)=>fs.statSync(`${d}/no${i}`,{throwIfNoEntry:false}),
copyup:(i)=>fs.appendFileSync(`${d}/f${i}`,"x"),rm:(i)=>{const t=`${d}/t${i}`;fs.unlinkSync(`${t}/a/f`);fs.rmdirSync(`${t}/a`);fs.unlinkSync(`${t}/g`);fs.rmdirSync(t)},
read:(i)=>fs.readSync(fd??=fs.openSync(`${d}/../data`,k.O_RDONLY|k.O_DIRECT),b,0,4096,(i%64)*4096),
write:(i)=>fs.writeSync(fd??=fs.openSync(`${d}/w`,k.O_RDWR|k.O_CREAT|k.O_DIRECT),b,0,4096,(i%64)*4096)}[w];
fs.mkdirSync(d,{recursive:true});for(let i=0;i<n;i++)op(i)'
node -e "$ops" "$WORK" "$tmp/m/warm" "$WARM"
if [ -n "${EXC:-}" ]; then
  before=$(grep -c '^Exception thrown' "$tmp/cg/exc" || true)
  node -e "$ops" "$WORK" "$tmp/m/out" "$N"
  sleep 0.5
  echo "exceptions $WORK $N $(( $(grep -c '^Exception thrown' "$tmp/cg/exc" || true) - before ))"
  umount "$tmp/m"; wait $pid || true
  exit 0
fi
callgrind_control -i on "$pid" >/dev/null 2>&1
node -e "$ops" "$WORK" "$tmp/m/out" "$N"
callgrind_control -i off "$pid" >/dev/null 2>&1
umount "$tmp/m"; wait $pid || true
# One file per thread: the busiest is the session worker (requests); the rest are mostly V8's
# compiler threads, whose share depends on when TurboFan's jobs fall.
read -r total worker < <(for f in "$tmp"/cg/out.*; do awk '/^totals:/ {print $2}' "$f"; done | sort -n | awk '{s += $1; m = $1} END {print s, m}')
echo "instructions $WORK $N $total worker $worker"
[ -z "${KEEP:-}" ] || cp "$tmp"/cg/out.* "$KEEP"/
