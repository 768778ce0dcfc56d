// Precision of two warm-read estimators on one mounted file, interleaved, for docs/bench.md:
//   old = median of 3 single whole-file reads (the bench's readseq_warm until 2026-12-02 evening),
//   new = median of 3 samples, each whole-file reads repeated until >= 1 s has passed (bytes / time).
// Usage: node scripts/readseq-estimators.mjs MERGED/big.bin [ITERATIONS=8]   (warm the file first)
// Prints median, min, max and coefficient of variation of each estimate and of the single samples.
import { closeSync, openSync, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const [file, iters = '8'] = process.argv.slice(2);
if (!file) throw new Error('usage: node scripts/readseq-estimators.mjs FILE [ITERATIONS]');
const MiB = 1 << 20;
const buf = Buffer.allocUnsafe(MiB);

function readAll() {
  const fd = openSync(file, 'r');
  let total = 0;
  for (let n; (n = readSync(fd, buf, 0, MiB, null)) > 0; ) total += n;
  closeSync(fd);
  return total;
}

/** MiB/s of whole-file reads repeated until minMs have passed (at least one). */
function sample(minMs) {
  const t0 = performance.now();
  let bytes = 0;
  do bytes += readAll();
  while (performance.now() - t0 < minMs);
  return bytes / MiB / ((performance.now() - t0) / 1000);
}

const median3 = (xs) => [...xs].sort((a, b) => a - b)[1];

function stat(xs) {
  const mean = xs.reduce((a, b) => a + b) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
  const s = [...xs].sort((a, b) => a - b);
  return `median ${Math.round(s[s.length >> 1])} min ${Math.round(s[0])} max ${Math.round(s.at(-1))} cv ${((100 * sd) / mean).toFixed(1)}%`;
}

readAll();
const out = { old: [], new: [], oldSamples: [], newSamples: [] };
for (let i = 0; i < Number(iters); i++) {
  const a = [sample(0), sample(0), sample(0)];
  const b = [sample(1000), sample(1000), sample(1000)];
  out.old.push(median3(a));
  out.new.push(median3(b));
  out.oldSamples.push(...a);
  out.newSamples.push(...b);
}
for (const [k, xs] of Object.entries(out)) console.log(k.padEnd(11), stat(xs), '| n', xs.length);
