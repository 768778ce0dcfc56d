#!/bin/bash
# User-space instructions one create costs an ovl-fuse daemon, load-independent: the daemon runs
# under callgrind with instrumentation off until the mount is live and WARM (default 300) creates
# are done, then counts the instructions of all its threads for N creates (the create-cost.sh
# workload, tmpfs layers). Run it for two N and take the difference, e.g. (1,200 − 200)/1,000,
# so what a run costs once (the client's start, the mkdir) cancels out.
# Usage: N=1200 scripts/create-instr.sh BIN [ARGS…]   prints "instructions N <total> worker <n>"
#   (whole daemon, session worker thread); KEEP=<dir> keeps the callgrind files there for callgrind_annotate.
# Root only; everything is under a fresh temp dir, unmounted and removed on exit.
set -eu
N=${N:-1000} WARM=${WARM:-300}
tmp=$(mktemp -d /tmp/ovlkit-create-instr-XXXXXX)
cleanup() { umount "$tmp/m" 2>/dev/null || umount -l "$tmp/m" 2>/dev/null || true; sleep 0.2; umount "$tmp" 2>/dev/null || umount -l "$tmp" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
mount -t tmpfs tmpfs "$tmp"
mkdir -p "$tmp/l/out" "$tmp/u" "$tmp/w" "$tmp/m" "$tmp/cg"
cat > "$tmp/cg/node" <<WRAP
#!/bin/sh
exec valgrind -q --tool=callgrind --instr-atstart=no --separate-threads=yes --callgrind-out-file=$tmp/cg/out.%p node "\$@"
WRAP
chmod +x "$tmp/cg/node"
OVL_FUSE_NODE=$tmp/cg/node "$@" -o "lowerdir=$tmp/l,upperdir=$tmp/u,workdir=$tmp/w${OPTS:-}" "$tmp/m" &
pid=$!
for _ in $(seq 1200); do grep -q " $tmp/m " /proc/self/mountinfo && break; sleep 0.1; done
creates='const fs=require("fs"),[d,n]=[process.argv[1],+process.argv[2]],b=Buffer.alloc(4096,1);fs.mkdirSync(d,{recursive:true});
for(let i=0;i<n;i++)fs.writeFileSync(`${d}/n${i}`,b)'
node -e "$creates" "$tmp/m/warm" "$WARM"
callgrind_control -i on "$pid" >/dev/null 2>&1
node -e "$creates" "$tmp/m/out" "$N"
callgrind_control -i off "$pid" >/dev/null 2>&1
umount "$tmp/m"; wait $pid || true
# One file per thread: the busiest is the session worker (requests); the rest are mostly V8's
# compiler threads, whose share depends on when TurboFan's jobs fall.
read -r total worker < <(for f in "$tmp"/cg/out.*; do awk '/^totals:/ {print $2}' "$f"; done | sort -n | awk '{s += $1; m = $1} END {print s, m}')
echo "instructions $N $total worker $worker"
[ -z "${KEEP:-}" ] || cp "$tmp"/cg/out.* "$KEEP"/
