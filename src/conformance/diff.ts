// Compares two traces of the same scenario field by field. Every difference names where it is
// (an op, or a path in the merged tree / upper / a lower), the field, and both values, so that a
// report can show them side by side and the accepted-divergence list can match them.
import type { EntryObs } from './normalise.js';
import type { ObsResult, Trace } from './trace.js';

export interface Difference {
  /** 'op', 'merged', 'upper', 'l1'…, 'failure' or 'setup'. */
  where: string;
  /** 0-based index of the op (where === 'op'). */
  opIndex?: number;
  /** The op as described in the trace. */
  op?: string;
  path?: string;
  /** 'result', 'stat.nlink', 'content', 'names', 'xattr:user.x', 'exists', … */
  field: string;
  /** The object's type ('file', 'dir', …) on the reference side, else the target's, when a stat saw it. */
  type?: string;
  reference: unknown;
  target: unknown;
}

type Flat = Record<string, unknown>;

function flattenResult(r: ObsResult): Flat {
  if (!r.ok) return { result: r.errno };
  const f: Flat = { result: 'ok' };
  const v = r.value;
  if (!v) return f;
  if ('stat' in v) for (const [k, x] of Object.entries(v.stat)) f[`stat.${k}`] = x;
  else if ('content' in v) f.content = v.content;
  else if ('names' in v) {
    f.names = v.names;
    if (v.order) f.order = v.order;
  }
  else if ('text' in v) f.text = v.text;
  else if ('fields' in v) for (const [k, x] of Object.entries(v.fields)) f[`fields.${k}`] = x;
  else for (const [k, x] of Object.entries(v.statfs)) f[`statfs.${k}`] = x;
  return f;
}

function flattenEntry(e: EntryObs): Flat {
  const f: Flat = { exists: true };
  if (e.errno) f.errno = e.errno;
  if (e.stat) for (const [k, x] of Object.entries(e.stat)) f[`stat.${k}`] = x;
  if (e.content) f.content = e.content;
  if (e.target !== undefined) f.target = e.target;
  for (const [k, x] of Object.entries(e.xattrs ?? {})) f[`xattr:${k}`] = x;
  if (e.readErrno) f.readErrno = e.readErrno;
  if (e.order) f.order = e.order;
  return f;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Listing order is compared only between listings of the same names: a missing name is its own difference. */
const sameNames = (a: unknown, b: unknown) => Array.isArray(a) && Array.isArray(b) && same([...a].sort(), [...b].sort());

function diffFlat(a: Flat, b: Flat, base: Omit<Difference, 'field' | 'reference' | 'target'>, out: Difference[]): void {
  const type = (a['stat.type'] ?? b['stat.type']) as string | undefined;
  if (type !== undefined) base = { ...base, type };
  // `exists` first, so a missing entry reads as one difference before its fields.
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort((x, y) => (x === 'exists' ? -1 : y === 'exists' ? 1 : x < y ? -1 : 1));
  for (const k of keys) if (!same(a[k], b[k]) && (k !== 'order' || sameNames(a[k], b[k]))) out.push({ ...base, field: k, reference: a[k] ?? null, target: b[k] ?? null });
}

function diffTree(where: string, a: EntryObs[] | undefined, b: EntryObs[] | undefined, out: Difference[], complete: boolean): void {
  if (!a || !b) {
    if (complete && !a !== !b) out.push({ where, field: 'observed', reference: !!a, target: !!b });
    return;
  }
  const am = new Map(a.map((e) => [e.path, e]));
  const bm = new Map(b.map((e) => [e.path, e]));
  const paths = [...new Set([...am.keys(), ...bm.keys()])].sort();
  for (const p of paths) {
    const ea = am.get(p);
    const eb = bm.get(p);
    if (!ea || !eb) {
      out.push({ where, path: p, field: 'exists', reference: !!ea, target: !!eb });
      continue;
    }
    diffFlat(flattenEntry(ea), flattenEntry(eb), { where, path: p }, out);
  }
}

/** Every difference between a reference trace and a target trace of the same scenario. */
export function diffTraces(ref: Trace, tgt: Trace): Difference[] {
  const out: Difference[] = [];
  if (!same(ref.skipped, tgt.skipped)) out.push({ where: 'setup', field: 'skipped', reference: ref.skipped, target: tgt.skipped });
  const fa = ref.failure ? { phase: ref.failure.phase, opIndex: ref.failure.opIndex ?? null } : null;
  const fb = tgt.failure ? { phase: tgt.failure.phase, opIndex: tgt.failure.opIndex ?? null } : null;
  if (!same(fa, fb)) {
    out.push({ where: 'failure', field: 'failure', reference: ref.failure ?? null, target: tgt.failure ?? null });
  }
  const n = Math.min(ref.ops.length, tgt.ops.length);
  for (let i = 0; i < n; i++) {
    diffFlat(flattenResult(ref.ops[i]!.result), flattenResult(tgt.ops[i]!.result), { where: 'op', opIndex: i, op: ref.ops[i]!.op }, out);
  }
  // A trace that failed stops where it failed, and that failure is the difference. Where neither
  // failed, each observed as much as the other: anything one lacks is a difference, never
  // something left uncompared (a review of ovl-check's verdicts found both skipped silently).
  const complete = !ref.failure && !tgt.failure;
  if (complete && ref.ops.length !== tgt.ops.length) {
    out.push({ where: 'setup', field: 'ops observed', reference: ref.ops.length, target: tgt.ops.length });
  }
  diffTree('merged', ref.merged, tgt.merged, out, complete);
  diffTree('remounted', ref.remounted, tgt.remounted, out, complete);
  diffTree('upper', ref.upper, tgt.upper, out, complete);
  const lowers = Math.max(ref.lowers?.length ?? 0, tgt.lowers?.length ?? 0);
  for (let i = 0; i < lowers; i++) diffTree(`l${i + 1}`, ref.lowers?.[i], tgt.lowers?.[i], out, complete);
  return out;
}

/** The first op whose results differ: where the two targets part. */
export function firstParting(diffs: Difference[]): number | undefined {
  const ops = diffs.filter((d) => d.where === 'op').map((d) => d.opIndex!);
  return ops.length ? Math.min(...ops) : undefined;
}

/** The value `t` has where `d` was seen (for an op at `opIndex` of `t`), as diffTraces flattens it. */
export function valueAt(t: Trace, d: Difference, opIndex = d.opIndex): unknown {
  if (d.where === 'op') {
    const r = opIndex === undefined ? undefined : t.ops[opIndex]?.result;
    return r ? (flattenResult(r)[d.field] ?? null) : null;
  }
  const tree = d.where === 'merged' ? t.merged : d.where === 'remounted' ? t.remounted : d.where === 'upper' ? t.upper : t.lowers?.[Number(d.where.slice(1)) - 1];
  const e = tree?.find((x) => x.path === d.path);
  if (d.field === 'exists') return !!e;
  return e ? (flattenEntry(e)[d.field] ?? null) : null;
}

export const sameValue = same;
