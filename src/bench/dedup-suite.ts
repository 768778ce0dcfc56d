// The dedup section: ovl-dedup's end-to-end `analyze ROOT --json -` against `jdupes -r` and
// `rdfind -dryrun true` on the same generated overlay2 root (≥100k entries in the full profile),
// page cache warm, tools interleaved. Each answer is checked against the known duplicates.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from '../sys/index.js';
import { type DedupExpect, genDockerRoot } from './dedup-gen.js';
import { type DedupTool, jdupes, ovlDedup, probeOvlDedup, probeProgram, rdfind } from './dedup-tools.js';
import { Recorder, expect, timed } from './record.js';
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

async function measureTool(t: DedupTool, root: string, exp: DedupExpect, scratch: string, rec: Recorder, timeoutMs: number): Promise<void> {
  mkdirSync(scratch, { recursive: true });
  await rec.measureAll(
    [
      ['scan', 'ms'],
      ['entries_per_s', 'entries/s'],
    ],
    async () => {
      const r = await timed(() => t.run(root, exp, scratch, timeoutMs));
      expect(r.value.failure === '', `${t.name}: ${r.value.failure}`);
      t.check(r.value, exp, scratch);
      return { scan: { value: r.ms, interfered: r.interfered }, entries_per_s: { value: exp.entries / (r.ms / 1000), interfered: r.interfered } };
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
      // Warm page cache for every tool alike: read every file once before the first round.
      await runTool('find', [tree.root, '-type', 'f', '-exec', 'cat', '{}', '+'], { discardStdout: true });
      const c = await candidates(plan);
      tools = c.tools;
      for (const u of c.unavailable) plan.log(`${u.target}: unavailable (${u.reason})`);
      return c.unavailable;
    },
    async round(n) {
      const samples: Sample[] = [];
      for (const t of roundOrder(tools, n)) {
        const rec = new Recorder(SECTION, t.name, n);
        const t0 = Date.now();
        await measureTool(t, tree!.root, tree!.exp, join(plan.runRoot, `${t.name}-${n}`), rec, plan.sizes.stepTimeoutMs);
        plan.log(`round ${n} ${t.name} dedup scan: ${((Date.now() - t0) / 1000).toFixed(1)} s${rec.samples.some((s) => s.fail) ? ', FAIL' : ''}`);
        samples.push(...rec.samples);
      }
      return samples;
    },
  };
}
