#!/bin/sh
# How long a change made directly in a lower dir takes to show through a mounted ovl-fuse with its
# layer watcher (the default): "one event round" in µs. Three cases, N times each, on a fresh tmpfs:
#   new      a name added in the lower after the mount cached its absence (a failed open)
#   rewrite  a file read through the mount, then rewritten in place in the lower (same size)
#   delete   a file looked up through the mount, then deleted in the lower
# The client makes the change, then asks the mount every 0.1 ms until it shows; prints the
# median, 90th and 99th percentile and the maximum of the µs in between. The kernel's own overlay
# is not measured: it keeps its cached dentries and pages, so it shows none of these until a remount.
# Usage: scripts/watch-latency.sh [BIN [OPTIONS]]   (default: this checkout's bin/ovl-fuse).
# Root only; everything is under a fresh temp dir that is unmounted and removed on exit.
set -eu
N=${N:-400}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/bin/ovl-fuse}
tmp=$(mktemp -d /tmp/ovlkit-watch-latency-XXXXXX)
cleanup() { umount "$tmp/m" 2>/dev/null || umount -l "$tmp/m" 2>/dev/null || true; sleep 0.2; umount "$tmp" 2>/dev/null || umount -l "$tmp" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
mount -t tmpfs tmpfs "$tmp"
mkdir -p "$tmp/l" "$tmp/u" "$tmp/w" "$tmp/m"
"$bin" -o "lowerdir=$tmp/l,upperdir=$tmp/u,workdir=$tmp/w${2:+,$2}" "$tmp/m"
echo "load $(cut -d' ' -f1-3 /proc/loadavg), N=$N, $bin"
node -e '
const fs = require("fs"), [m, l, n] = [process.argv[1], process.argv[2], +process.argv[3]];
const nap = new Int32Array(new SharedArrayBuffer(4));
const exists = (p) => { try { fs.lstatSync(p); return true; } catch { return false; } };
const cases = {
  new: { before: (b) => { try { fs.openSync(`${m}/${b}`, "r"); } catch {} },
         change: (b) => fs.writeFileSync(`${l}/${b}`, "x"), shows: (b) => exists(`${m}/${b}`) },
  rewrite: { before: (b) => { fs.writeFileSync(`${l}/${b}`, "old"); fs.readFileSync(`${m}/${b}`); },
             change: (b) => fs.writeFileSync(`${l}/${b}`, "new"), shows: (b) => fs.readFileSync(`${m}/${b}`, "utf8") === "new" },
  delete: { before: (b) => { fs.writeFileSync(`${l}/${b}`, "x"); fs.lstatSync(`${m}/${b}`); },
            change: (b) => fs.unlinkSync(`${l}/${b}`), shows: (b) => !exists(`${m}/${b}`) },
};
for (const [name, c] of Object.entries(cases)) {
  const us = [];
  for (let i = 0; i < n; i++) {
    const b = `${name}${i}`;
    c.before(b);
    c.change(b);
    const t0 = process.hrtime.bigint();
    while (!c.shows(b)) {
      if (process.hrtime.bigint() - t0 > 5_000_000_000n) { console.log(`${name}: ${b} not shown after 5 s`); process.exit(1); }
      Atomics.wait(nap, 0, 0, 0.1);
    }
    us.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  us.sort((a, b) => a - b);
  const at = (q) => us[Math.min(us.length - 1, Math.floor(q * us.length))].toFixed(0);
  console.log(`${name.padEnd(8)} p50 ${at(0.5).padStart(6)}  p90 ${at(0.9).padStart(6)}  p99 ${at(0.99).padStart(6)}  max ${us[us.length - 1].toFixed(0).padStart(6)} µs`);
}' "$tmp/m" "$tmp/l" "$N"
