// readseq, copyup and create: the data path and the write path. Checks: bytes read and 16 sampled
// 64 KiB blocks equal the lower file; copied-up files are the lower content + 'x' in the merged
// dir and in the upper while the lower is untouched; created files have the exact name set and sizes.
import { appendFileSync, closeSync, lstatSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { syncAll } from '../sys/index.js';
import { CREATE_PRE, copyupContent, copyupNames } from './gen-tree.js';
import { expect, makeCold, median, repeatFor, timed } from './record.js';
import { Stack } from './stack.js';
import type { Workload, WorkloadCtx } from './workload.js';

const MiB = 1 << 20;

/** Read a whole file in 1 MiB requests; returns the byte count. */
function readAll(path: string): number {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(MiB);
  let total = 0;
  try {
    for (let n; (n = readSync(fd, buf, 0, MiB, null)) > 0; ) total += n;
  } finally {
    closeSync(fd);
  }
  return total;
}

function block(path: string, index: number, size: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(size);
    const n = readSync(fd, buf, 0, size, index * size);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** 16 blocks spread over the file (first and last included) must equal the lower's. */
function checkSamples(merged: string, lower: string, bytes: number): void {
  const blocks = Math.floor(bytes / 65536);
  for (let i = 0; i < 16; i++) {
    const b = Math.min(blocks - 1, Math.floor((i * blocks) / 15));
    expect(block(merged, b, 65536).equals(block(lower, b, 65536)), `64 KiB block ${b} differs from the lower file`);
  }
}

/** One read of the whole file, its byte count checked. */
function readChecked(ctx: WorkloadCtx, file: string): number {
  const bytes = ctx.data.sizes.readMiB * MiB;
  const n = readAll(file);
  expect(n === bytes, `read ${n} bytes, expected ${bytes}`);
  return n;
}

/**
 * MiB/s of whole-file reads repeated for at least `minMs` (0: one read). The same for every
 * target: a faster one makes more passes, each sample spans the same stretch of time.
 */
async function readFor(ctx: WorkloadCtx, file: string, minMs: number): Promise<{ value: number; interfered: number }> {
  const t = await timed(() => repeatFor(() => readChecked(ctx, file), minMs));
  return { value: t.value.total / MiB / (t.ms / 1000), interfered: t.interfered };
}

export const readseq: Workload = {
  name: 'readseq',
  metrics: () => [['readseq_cold', 'MiB/s'], ['readseq_warm', 'MiB/s']],
  async run(ctx) {
    const s = new Stack(ctx.target, [join(ctx.data.root, 'readseq', '0')], join(ctx.runDir, 'readseq'));
    await s.mount();
    const file = s.path('big.bin');
    try {
      await ctx.rec.measureAll(this.metrics(ctx.data), async () => {
        await makeCold();
        const cold = await readFor(ctx, file, 0);
        const runs = [];
        for (let i = 0; i < ctx.data.sizes.warmReps; i++) runs.push(await readFor(ctx, file, ctx.data.sizes.readWarmMs));
        checkSamples(file, ctx.data.bigFile, ctx.data.sizes.readMiB * MiB);
        const warm = { value: median(runs.map((r) => r.value)), interfered: runs.reduce((n, r) => n + r.interfered, 0) };
        return { readseq_cold: cold, readseq_warm: warm };
      });
    } finally {
      await s.unmount();
    }
  },
};

/** Merged file = lower + 'x', the upper holds the copy, the lower keeps its size. */
function checkCopyup(ctx: WorkloadCtx, s: Stack): void {
  const { copyupFiles, copyupBytes } = ctx.data.sizes;
  const lowerDir = join(ctx.data.root, 'copyup', '0', 'cu');
  const names = copyupNames(copyupFiles);
  const lowerData = copyupContent(copyupBytes);
  // A lower written through the mount is restored first, so later targets get the same input.
  const touched = names.filter((n) => !readFileSync(join(lowerDir, n)).equals(lowerData));
  for (const n of touched) writeFileSync(join(lowerDir, n), lowerData);
  expect(touched.length === 0, `${s.target.name} modified ${touched.length} lower files (cu/${touched[0]})`);
  for (const name of names) {
    expect(lstatSync(s.path(`cu/${name}`)).size === copyupBytes + 1, `merged cu/${name} is not ${copyupBytes + 1} bytes`);
    expect(lstatSync(join(s.layers.upper, 'cu', name)).size === copyupBytes + 1, `upper has no copy-up of cu/${name}`);
  }
  const want = Buffer.concat([lowerData, Buffer.from('x')]);
  for (const name of [names[0]!, names[names.length - 1]!]) {
    expect(readFileSync(s.path(`cu/${name}`)).equals(want), `merged cu/${name} is not the lower content + 'x'`);
  }
}

export const copyup: Workload = {
  name: 'copyup',
  metrics: () => [['copyup', 'ms'], ['copyup_sync', 'ms'], ['copyup_total', 'ms']],
  async run(ctx) {
    const s = new Stack(ctx.target, [join(ctx.data.root, 'copyup', '0')], join(ctx.runDir, 'copyup'));
    await s.mount();
    try {
      const names = copyupNames(ctx.data.sizes.copyupFiles);
      // Lower data in the page cache: measure the copy, not the disk.
      for (const n of names) readFileSync(join(ctx.data.root, 'copyup', '0', 'cu', n));
      await syncAll();
      await ctx.rec.measureAll(this.metrics(ctx.data), async () => {
        const t = await timed(() => names.forEach((n) => appendFileSync(s.path(`cu/${n}`), 'x')));
        const sync = await timed(syncAll);
        checkCopyup(ctx, s);
        // The kernel syncs during copy-up, FUSE overlays leave the data dirty: compare the sum.
        return {
          copyup: { value: t.ms, interfered: t.interfered },
          copyup_sync: { value: sync.ms, interfered: sync.interfered },
          copyup_total: { value: t.ms + sync.ms, interfered: t.interfered + sync.interfered },
        };
      });
    } finally {
      await s.unmount();
    }
  },
};

/**
 * The lower must still hold only its own files. A target that wrote into it is failed, and the
 * lower is put back so the targets after it are measured on the same input.
 */
export function keepLowerAsGenerated(dir: string, want: string[], target: string): void {
  const extra = readdirSync(dir).filter((n) => !want.includes(n));
  for (const n of extra) rmSync(join(dir, n), { recursive: true, force: true });
  expect(extra.length === 0, `${target} wrote ${extra.length} entries into the lower dir ${dir}`);
}

function checkCreate(ctx: WorkloadCtx, s: Stack): void {
  keepLowerAsGenerated(join(ctx.data.root, 'create', '0', 'out'), CREATE_PRE, s.target.name);
  const { createFiles, createBytes } = ctx.data.sizes;
  const want = [...CREATE_PRE, ...Array.from({ length: createFiles }, (_, i) => `n${i}`)].sort();
  const seen = readdirSync(s.path('out')).sort();
  expect(seen.length === want.length && seen.every((n, i) => n === want[i]), `out/ lists ${seen.length} names, expected exactly ${want.length}`);
  for (let i = 0; i < createFiles; i++) expect(lstatSync(s.path(`out/n${i}`)).size === createBytes, `out/n${i} is not ${createBytes} bytes`);
}

export const create: Workload = {
  name: 'create',
  metrics: () => [['create', 'ms'], ['create_sync', 'ms']],
  async run(ctx) {
    const s = new Stack(ctx.target, [join(ctx.data.root, 'create', '0')], join(ctx.runDir, 'create'));
    await s.mount();
    try {
      await syncAll();
      const data = Buffer.alloc(ctx.data.sizes.createBytes, 'a');
      await ctx.rec.measureAll(this.metrics(ctx.data), async () => {
        const t = await timed(() => {
          for (let i = 0; i < ctx.data.sizes.createFiles; i++) writeFileSync(s.path(`out/n${i}`), data);
        });
        const sync = await timed(syncAll);
        checkCreate(ctx, s);
        return { create: { value: t.ms, interfered: t.interfered }, create_sync: { value: sync.ms, interfered: sync.interfered } };
      });
    } finally {
      await s.unmount();
    }
  },
};
