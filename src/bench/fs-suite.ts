// The FUSE workloads on every overlay target, interleaved: each workload runs on target 1, 2, 3
// before the next workload (starting one target later each round), so drift on a shared machine
// hits every target alike. Targets that cannot mount are probed once and reported unavailable.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { reapDaemons, unmountBelow } from './cleanup.js';
import type { DataSet } from './dataset.js';
import { Recorder } from './record.js';
import { type FsTarget, OVL_FUSE_PREVIOUS, probe } from './targets.js';
import { type Section, roundOrder } from './section.js';
import type { Sample, Unavailable } from './types.js';
import { runGuarded, type Workload } from './workload.js';
import { deep, walk } from './wl-walk.js';
import { copyup, create, readseq } from './wl-io.js';
import { readdir, untar } from './wl-tree.js';
import { startup } from './wl-startup.js';
import { client } from './wl-client.js';

export const SECTION = 'fuse';
export const WORKLOADS: Workload[] = [startup, walk, deep, readseq, copyup, create, readdir, untar, client];

export interface FsPlan {
  /** candidates in report order; the ones the probe refuses become `unavailable` */
  targets: Array<FsTarget | { name: string; unavailable: string }>;
  workloads: Workload[];
  data: DataSet;
  runRoot: string;
  log: (m: string) => void;
  /** a line for the report's notes */
  note: (m: string) => void;
}

/** Probe the candidates: the usable targets, and the reasons for the others. */
export async function usableTargets(plan: FsPlan): Promise<{ usable: FsTarget[]; unavailable: Unavailable[] }> {
  const usable: FsTarget[] = [];
  const unavailable: Unavailable[] = [];
  for (const t of plan.targets) {
    if ('unavailable' in t) {
      unavailable.push({ section: SECTION, target: t.name, reason: t.unavailable });
      continue;
    }
    const why = await probe(t, join(plan.runRoot, `probe-${t.name}`));
    if (why === null) usable.push(t);
    else unavailable.push({ section: SECTION, target: t.name, reason: why });
  }
  for (const u of unavailable) plan.log(`${u.target}: unavailable (${u.reason})`);
  return { usable, unavailable };
}

/** One round: each workload runs on every target (in roundOrder) before the next workload starts. */
export async function fsRound(plan: FsPlan, usable: FsTarget[], round: number): Promise<Sample[]> {
  const order = roundOrder(usable, round);
  const recs = new Map(order.map((t) => [t.name, new Recorder(SECTION, t.name, round)]));
  const dirOf = (t: FsTarget) => join(plan.runRoot, `${t.name}-${round}`);
  for (const t of order) mkdirSync(dirOf(t), { recursive: true });
  for (const w of plan.workloads) {
    for (const target of order) {
      const rec = recs.get(target.name)!;
      const before = rec.samples.length;
      const t0 = Date.now();
      await runGuarded(w, { data: plan.data, rec, target, runDir: dirOf(target) });
      const failed = rec.samples.slice(before).filter((s) => s.fail !== undefined).length;
      plan.log(`round ${round} ${w.name} on ${target.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s${failed ? `, ${failed} FAIL` : ''}`);
    }
  }
  for (const t of order) {
    await unmountBelow(dirOf(t));
    for (const d of await reapDaemons(dirOf(t))) plan.note(`round ${round}: ${t.name} left pid ${d.pid} running after its unmounts (stopped with SIGTERM): ${d.cmd}`);
    rmSync(dirOf(t), { recursive: true, force: true });
  }
  return order.flatMap((t) => recs.get(t.name)!.samples);
}

/** The FUSE section: ovl-fuse against kernel overlayfs, fuse-overlayfs and ovl-fuse's previous transport. */
export function fsSection(plan: Omit<FsPlan, 'data'>, data: () => Promise<DataSet>): Section {
  let usable: FsTarget[] = [];
  let full: FsPlan | undefined;
  return {
    spec: {
      name: SECTION,
      title: `FUSE overlay workloads (ovl-fuse vs kernel overlayfs, fuse-overlayfs and its previous transport, ${OVL_FUSE_PREVIOUS})`,
      subject: 'ovl-fuse',
      anchors: ['fuse-overlayfs', 'kernel', OVL_FUSE_PREVIOUS],
      targets: plan.targets.map((t) => t.name),
    },
    async prepare() {
      full = { ...plan, data: await data() };
      const r = await usableTargets(full);
      usable = r.usable;
      return r.unavailable;
    },
    round: (n) => fsRound(full!, usable, n),
  };
}
