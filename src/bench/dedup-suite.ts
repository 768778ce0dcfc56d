// The dedup section: ovl-dedup's end-to-end `analyze ROOT --json -` against `jdupes -r` and
// `rdfind -dryrun true` on the same generated overlay2 root (≥100k entries in the full profile),
// tools interleaved: `scan` with the page cache warm for every tool, `scan_cold` after a
// drop_caches before each tool. Each answer is checked against the known duplicates.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from '../sys/index.js';
import { type DedupExpect, genDockerRoot } from './dedup-gen.js';
import { type DedupTool, jdupes, ovlDedup, probeOvlDedup, probeProgram, rdfind } from './dedup-tools.js';
import { Recorder, droppingCaches, expect, makeCold, timed } from './record.js';
import { type Section, roundOrder } from './section.js';
import type { Sizes } from './sizes.js';
import { locateBin } from './targets.js';
import type { Sample, Unavailable } from './types.js';

export const SECTION = 'dedup';

export interface DedupPlan {
  sizes: Sizes;
  cacheDir: string;
  runRoot: string;
  bin: string | undefined;
  log: (m: string) => void;
}

/** The generated root, reused while its sizes match (its expected answers are stored beside it). */
function ensureRoot(plan: DedupPlan): { root: string; exp: DedupExpect } {
  const dir = join(plan.cacheDir, `dedup-${plan.sizes.dedupEntries}x${plan.sizes.dedupLayers}-v1`);
  const root = join(dir, 'docker');
  const expFile = join(dir, 'expect.json');
  if (existsSync(expFile)) return { root, exp: JSON.parse(readFileSync(expFile, 'utf8')) as DedupExpect };
  plan.log(`generating a ${plan.sizes.dedupEntries}-entry overlay2 root in ${root}`);
  rmSync(dir, { recursive: true, force: true });
  const exp = genDockerRoot(root, plan.sizes.dedupEntries, plan.sizes.dedupLayers);
  writeFileSync(expFile, JSON.stringify(exp));
  return { root, exp };
}

async function candidates(plan: DedupPlan): Promise<{ tools: DedupTool[]; unavailable: Unavailable[] }> {
  const tools: DedupTool[] = [];
  const unavailable: Unavailable[] = [];
  const loc = locateBin('ovl-dedup', plan.bin);
  let why: string | null = 'bin' in loc ? null : loc.reason;
  if ('bin' in loc) {
    const empty = join(plan.runRoot, 'empty-root');
    mkdirSync(empty, { recursive: true });
    why = await probeOvlDedup(loc.bin, empty);
    if (why === null) tools.push(ovlDedup(loc.bin));
  }
  if (why !== null) unavailable.push({ section: SECTION, target: 'ovl-dedup', reason: why });
  for (const t of [jdupes, rdfind]) {
    const w = await probeProgram(t.name);
    if (w === null) tools.push(t);
    else unavailable.push({ section: SECTION, target: t.name, reason: w });
  }
  return { tools, unavailable };
}

/**
 * Read every file of the root (and so stat every name): the warm runs' page, dentry and inode
 * caches. Done before each round, not once: the other sections' cold steps drop the caches
 * between this section's rounds, and without it the first tool of each round read cold.
 */
async function warm(root: string): Promise<void> {
  await runTool('find', [root, '-type', 'f', '-exec', 'cat', '{}', '+'], { discardStdout: true });
}

async function measureTool(t: DedupTool, cold: boolean, root: string, exp: DedupExpect, scratch: string, rec: Recorder, timeoutMs: number): Promise<void> {
  mkdirSync(scratch, { recursive: true });
  const [scan, rate] = cold ? ['scan_cold', 'entries_per_s_cold'] : ['scan', 'entries_per_s'];
  await rec.measureAll(
    [
      [scan, 'ms'],
      [rate, 'entries/s'],
    ],
    async () => {
      if (cold) await makeCold();
      const r = await timed(() => t.run(root, exp, scratch, timeoutMs));
      expect(r.value.failure === '', `${t.name}: ${r.value.failure}`);
      t.check(r.value, exp, scratch);
      return { [scan]: { value: r.ms, interfered: r.interfered }, [rate]: { value: exp.entries / (r.ms / 1000), interfered: r.interfered } };
    },
  );
  rmSync(scratch, { recursive: true, force: true });
}

export function dedupSection(plan: DedupPlan): Section {
  let tools: DedupTool[] = [];
  let tree: { root: string; exp: DedupExpect } | undefined;
  return {
    spec: { name: SECTION, title: 'Duplicate scan of a generated overlay2 root (ovl-dedup vs jdupes -r and rdfind -dryrun true)', subject: 'ovl-dedup', anchors: ['jdupes', 'rdfind'], targets: ['jdupes', 'rdfind', 'ovl-dedup'] },
    async prepare() {
      mkdirSync(plan.runRoot, { recursive: true });
      tree = ensureRoot(plan);
      plan.log(`dedup root: ${tree.exp.entries} entries, ${tree.exp.files} files, ${tree.exp.groups} duplicate groups`);
      const c = await candidates(plan);
      tools = c.tools;
      for (const u of c.unavailable) plan.log(`${u.target}: unavailable (${u.reason})`);
      return c.unavailable;
    },
    async round(n) {
      const samples: Sample[] = [];
      await warm(tree!.root);
      // Cold runs only where the caches really are dropped (not under --no-drop-caches).
      for (const cold of droppingCaches() ? [false, true] : [false]) {
        for (const t of roundOrder(tools, n)) {
          const rec = new Recorder(SECTION, t.name, n);
          const t0 = Date.now();
          await measureTool(t, cold, tree!.root, tree!.exp, join(plan.runRoot, `${t.name}-${n}`), rec, plan.sizes.stepTimeoutMs);
          plan.log(`round ${n} ${t.name} dedup scan${cold ? ', cold' : ''}: ${((Date.now() - t0) / 1000).toFixed(1)} s${rec.samples.some((s) => s.fail) ? ', FAIL' : ''}`);
          samples.push(...rec.samples);
        }
      }
      return samples;
    },
  };
}
