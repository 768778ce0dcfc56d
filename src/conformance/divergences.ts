// Differences accepted on purpose (suites/divergences.json): each rule names the targets it
// applies to, what it matches (where, field, path, op; `*` globs) and why, with the spec item.
// A scenario whose differences are all accepted is reported as such; anything else is unexpected.
import { UsageError } from '../errors.js';
import { comesAfter, deriveFrom, differencePaths, heldAt, listedBesideHeldDir, opPaths, related, runningAt } from './derived.js';
import type { Difference } from './diff.js';
import { isObject, readJsonFile } from './json-file.js';
import { type Op, describeOp } from './ops.js';

export interface AcceptRule {
  id: string;
  /** Target names as given to --target; globs ('exec:*fuse-overlayfs*'). */
  targets: string[];
  /** Targets the rule does not apply to even though `targets` matches them (globs). */
  except?: string[];
  where?: Pattern;
  field?: Pattern;
  path?: Pattern;
  op?: Pattern;
  /** Object type as stat saw it: file, dir, symlink, fifo, chr, whiteout. */
  type?: Pattern;
  /** The target side's value, as JSON (e.g. a mount failure's reason). */
  value?: Pattern;
  /** The kernel side's value, as JSON (e.g. `"EACCES"`: what the kernel refused and the target did not). */
  reference?: Pattern;
  /**
   * The accepted difference is an op's own (e.g. a refused flag); later differences on the names
   * that op used (and names later differing ops used) are reported as derived from it. Needs `op`.
   */
  derives?: boolean;
  /**
   * Only differences seen after the scenario changed a layer while mounted (a `mutate` op), in op
   * results and the merged tree; never an EIO, never the upper or lowers on disk or the view after
   * a remount (the invariants every target keeps). Each is reported with its freshness. An op's
   * difference accepted this way is a root as with `derives`: what it left on disk (a write the
   * target refused, a delete it did not see) is reported as derived from it; an upper or remount
   * difference with no differing op on its names before it stays unexpected (e.g. lost data).
   */
  afterLayerChange?: boolean;
  /**
   * Only differences that come after an op matching this pattern and concern a name that op used
   * (e.g. a file's mtime after an `mmap` op on it): the narrow form of what a difference left
   * behind when the op's own result does not differ.
   */
  afterOp?: Pattern;
  /**
   * With `afterOp`: only when that op ran while a file handle or mapping an earlier op opened on
   * the same name was still held (e.g. a store through a new mapping while an older open of the
   * file keeps the FUSE inode in cached io mode).
   */
  whileHeld?: boolean;
  /** With `afterOp`: only when that op ran while a program spawned from the same name still ran. */
  whileRunning?: boolean;
  /**
   * With `afterOp`: follow the op even where the kernel refused it, for an op whose effect comes
   * before its refusal (the kernel's overlay copies a running program up empty, then answers the
   * O_TRUNC open ETXTBSY). Otherwise only an op the kernel carried out counts.
   */
  refusedToo?: boolean;
  /**
   * Only a listing op's own difference on the root (a readdir, an opendir, or a rewind of a
   * handle) made while a handle an earlier `opendir` of it opened and read was still held, with an
   * op that may copy up a name in or below it in between and none that adds or removes a name in
   * it (derived.ts listedBesideHeldDir).
   */
  besideHeldDir?: boolean;
  /**
   * Only differences on a name that has a POSIX ACL, or under a dir that has one (a layer object
   * carries it, or an op sets or removes it): for a target that checks and creates by mode bits
   * alone. A difference elsewhere in the same scenario stays unexpected.
   */
  withAcls?: boolean;
  /**
   * Only differences on a name a lower held when the scenario began (ScenarioFacts.lowerPaths):
   * for a cause that lower files alone have (a read of a lower file, fuse-overlayfs reading lower
   * objects directly). An object only in the upper is compared as any other.
   */
  inLower?: boolean;
  /**
   * With `afterOp`: only where the name the matching op moved or changed first (a rename's source)
   * is a copy-up in the reference's upper at the end (it has an `origin`; a name made anew after
   * the op has none): for a cause that needs a copy-up before that op (a lower renamed after its
   * copy-up).
   */
  copiedUp?: boolean;
  reason: string;
  spec: string;
}

/** What a rule may ask of the scenario beyond its ops: its layers, and the reference side's results. */
export interface ScenarioFacts {
  /** Names held by some lower when the scenario began (`inLower`). */
  lowerPaths?: ReadonlySet<string>;
  /** Hard links within the lowers as [name, the name it links to]: a layer change in place reaches both. */
  lowerLinks?: ReadonlyArray<readonly [string, string]>;
  /**
   * Whether op `i` succeeded on the reference side: an `afterOp` rule follows from what its op
   * did, so an op the kernel refused (a chattr +i by a user who may not) did nothing to follow.
   */
  referenceOk?: (i: number) => boolean;
  /** Names the reference's upper holds at the end as copies up from a lower: with an `origin` xattr (`copiedUp`). */
  copiedUpPaths?: ReadonlySet<string>;
}

/** A glob, or a list of globs any of which may match. */
export type Pattern = string | string[];

export interface Classified {
  difference: Difference;
  /** The rule that accepts it, if any. */
  accepted?: string;
  /** Index (in the same list) of the accepted difference this one follows from. */
  derivedFrom?: number;
  /** After a layer change: the target against the kernel, judged by a fresh mount's view. */
  freshness?: Freshness;
}

/** `fresher`: the target shows what a fresh mount shows and the kernel does not; `staler`: the reverse; `unlike`: neither. */
export type Freshness = 'fresher' | 'staler' | 'unlike';

function glob(pattern: string): RegExp {
  return new RegExp('^' + pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$', 's');
}

const test = (pat: Pattern | undefined, v: string | undefined) =>
  pat === undefined || (v !== undefined && (Array.isArray(pat) ? pat : [pat]).some((p) => glob(p).test(v)));

/**
 * An op pattern matches the op as described, or without its `[uid N] ` prefix: a rule about a call
 * (`statx(*)`) holds whoever makes it; a pattern may still name the user (`[uid *] *`).
 */
const testOp = (pat: Pattern | undefined, described: string | undefined) =>
  test(pat, described) || (described !== undefined && test(pat, described.replace(/^\[uid \d+\] /, '')));

/** Index of the first `mutate` op (layers changed while mounted), if any. */
export function firstLayerChange(ops: readonly Op[]): number | undefined {
  const i = ops.findIndex((o) => o.op === 'mutate');
  return i < 0 ? undefined : i;
}

const EIO = /"EIO"/;

/**
 * The invariants of a layer change: no EIO anywhere, nothing on disk, nothing after a remount; and
 * only on a name a change before it touched (the changed name, a dir above or below it, a hard
 * link of it in the lowers; everything after a change of a layer's root). A review found the rule
 * accepting, after a change to one file, a target that wrote nothing at all (EROFS on every other
 * name, and its data missing on disk as derived).
 */
function afterLayerChange(d: Difference, ops: readonly Op[], facts: ScenarioFacts): boolean {
  const first = firstLayerChange(ops);
  if (first === undefined || !comesAfter(d, first) || !(d.where === 'op' || d.where === 'merged')) return false;
  if (EIO.test(JSON.stringify(d.target))) return false;
  const changed = changedNames(ops, d, facts);
  if (changed.has('.')) return true;
  return differencePaths(d, ops).some((p) =>
    [...changed].some(([q, namesChanged]) => p === q || p.startsWith(q + '/') || (namesChanged && isDirAbove(p, q) && DIR_NAME_FIELDS.test(d.field))),
  );
}

/** Is `p` the dir holding `q`, or one further up? */
const isDirAbove = (p: string, q: string) => p === '.' || q.startsWith(p + '/');

/**
 * What a name added, removed or moved below a dir changes of that dir: its listing, its link count
 * and times, its size. A review planted a chmod of the merged root and a stray upper file, both
 * accepted after a write to a file in the root: the root counted as related to every top-level
 * name, for every field and every kind of change.
 */
const DIR_NAME_FIELDS = /^(names|order|fields\..*|stat\.(nlink|mtime|ctime|atime|size|blocks))$/;

/** The mutate actions that add, remove or move a name (a write or chmod in place changes none). */
const NAME_ACTIONS = new Set(['replace', 'delete', 'add', 'mkdir', 'rename', 'whiteout', 'opaque']);

/**
 * The names the layer changes (`mutate` ops) before `d` used, with their hard links in the lowers,
 * each with whether that change added, removed or moved a name. Only changes the reference side
 * carried out: a mutate that failed (ENOENT) changed no layer (a review: accepted all the same).
 */
function changedNames(ops: readonly Op[], d: Difference, facts: ScenarioFacts): Map<string, boolean> {
  const names = new Map<string, boolean>();
  ops.forEach((o, i) => {
    if (o.op !== 'mutate' || !comesAfter(d, i) || facts.referenceOk?.(i) === false) return;
    for (const p of opPaths(ops, i)) names.set(p, (names.get(p) ?? false) || NAME_ACTIONS.has(o.action));
  });
  const links = facts.lowerLinks ?? [];
  // A write or chmod in place reaches every name of the inode: the closure over the links.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [a, b] of links) {
      if (names.has(a) === names.has(b)) continue;
      const moved = names.get(a) ?? names.get(b)!;
      names.set(a, moved);
      names.set(b, moved);
      grew = true;
    }
  }
  return names;
}

/** Does the rule apply to this target at all (targets minus except)? */
export function appliesTo(rule: AcceptRule, target: string): boolean {
  return rule.targets.some((t) => glob(t).test(target)) && !(rule.except ?? []).some((t) => glob(t).test(target));
}

/**
 * Does `d` follow an op matching `pattern`, one the reference side carried out (a refused op did
 * nothing to follow from), and concern one of the names that op used?
 */
function afterOpOnItsNames(rule: AcceptRule, pattern: Pattern, d: Difference, ops: readonly Op[], facts: ScenarioFacts): boolean {
  const paths = differencePaths(d, ops);
  const { whileHeld, whileRunning } = rule;
  return ops.some(
    (op, i) =>
      comesAfter(d, i) && testOp(pattern, describeOp(op)) && (rule.refusedToo === true || (facts.referenceOk?.(i) ?? true)) &&
      opPaths(ops, i).some((p) => paths.some((q) => related(p, q))) &&
      (!rule.copiedUp || facts.copiedUpPaths?.has(opPaths(ops, i)[0]!) === true) &&
      (!whileHeld || heldAt(ops, i)) && (!whileRunning || runningAt(ops, i)),
  );
}

/**
 * Is one of the names `d` is about one a lower held when the scenario began, the root included?
 * After a `rotate` (the upper becomes a lower) any name may be a lower's.
 */
function onLowerName(d: Difference, ops: readonly Op[], facts: ScenarioFacts): boolean {
  const lower = facts.lowerPaths;
  if (lower === undefined) return false;
  if (ops.some((o, i) => o.op === 'rotate' && comesAfter(d, i))) return true;
  return differencePaths(d, ops).some((p) => lower.has(p));
}

/** Is one of the names `d` is about, or a dir above it, among `aclPaths`? */
function underAcl(d: Difference, ops: readonly Op[], aclPaths: ReadonlySet<string>): boolean {
  return differencePaths(d, ops).some((p) => {
    for (let q = p; ; q = q.slice(0, q.lastIndexOf('/'))) {
      if (aclPaths.has(q)) return true;
      if (!q.includes('/')) return false;
    }
  });
}

function matches(rule: AcceptRule, target: string, d: Difference, ops: readonly Op[], aclPaths: ReadonlySet<string>, facts: ScenarioFacts): boolean {
  if (rule.withAcls && !underAcl(d, ops, aclPaths)) return false;
  if (rule.inLower && !onLowerName(d, ops, facts)) return false;
  if (rule.afterLayerChange && !afterLayerChange(d, ops, facts)) return false;
  if (rule.afterOp !== undefined && !afterOpOnItsNames(rule, rule.afterOp, d, ops, facts)) return false;
  if (rule.besideHeldDir && (d.where !== 'op' || d.opIndex === undefined || !listedBesideHeldDir(ops, d.opIndex))) return false;
  return (
    appliesTo(rule, target) &&
    test(rule.where, d.where) &&
    test(rule.field, d.field) &&
    test(rule.path, d.path) &&
    testOp(rule.op, d.op) &&
    test(rule.type, d.type) &&
    test(rule.value, JSON.stringify(d.target)) &&
    test(rule.reference, JSON.stringify(d.reference))
  );
}

/**
 * Sort each difference into accepted (by the first rule that matches), derived (from an accepted
 * difference whose rule `derives`) or unexpected; `ops` are the scenario's ops, `aclPaths` the
 * names with a POSIX ACL (scenarioAclPaths), `facts` its lowers and the reference's results.
 */
export function classify(
  rules: AcceptRule[], target: string, diffs: Difference[], ops: readonly Op[] = [], aclPaths: ReadonlySet<string> = new Set(), facts: ScenarioFacts = {},
): Classified[] {
  const out: Classified[] = diffs.map((difference) => {
    const rule = rules.find((r) => matches(r, target, difference, ops, aclPaths, facts));
    return rule ? { difference, accepted: rule.id } : { difference };
  });
  const deriving = new Set(rules.filter((r) => r.derives || r.afterLayerChange).map((r) => r.id));
  const roots = out.flatMap((c, i) => (c.accepted && deriving.has(c.accepted) && c.difference.where === 'op' ? [i] : []));
  deriveFrom(roots, diffs, ops).forEach((root, i) => {
    // A crash, a hang or an EIO is never a consequence to accept, whatever came before it.
    const d = out[i]!.difference;
    if (root === undefined || out[i]!.accepted || d.where === 'failure' || EIO.test(JSON.stringify(d.target))) return;
    out[i] = { ...out[i]!, accepted: out[root]!.accepted!, derivedFrom: root };
  });
  deriveObserverAtimes(rules, out);
  return out;
}

/**
 * The walk that observes the merged tree reads every file it finds and lists every dir, which
 * stamps its atime (relatime). Where an accepted layer change left an object visible on one side
 * only (the merged tree's errno differs there), or readable on one side only (its readErrno: a
 * dir the kernel still stats through its cached dentry but cannot list, lower-mutation seed 311),
 * only that side read it, and its atime then differs after the remount too: the observer's own
 * doing, derived from that difference, on that name and field only.
 */
function deriveObserverAtimes(rules: AcceptRule[], out: Classified[]): void {
  const oneSideLacked = (d: Difference) => (d.reference === 'ENOENT') !== (d.target === 'ENOENT');
  const layerRules = new Set(rules.filter((r) => r.afterLayerChange).map((r) => r.id));
  out.forEach((c, i) => {
    const d = c.difference;
    if (c.accepted || d.where !== 'remounted' || d.field !== 'stat.atime') return;
    const root = out.findIndex((o) => o.accepted !== undefined && layerRules.has(o.accepted) && o.difference.where === 'merged' && o.difference.path === d.path && (o.difference.field === 'errno' || o.difference.field === 'readErrno') && oneSideLacked(o.difference));
    if (root >= 0) out[i] = { ...c, accepted: out[root]!.accepted!, derivedFrom: root };
  });
}

type ValueKind = 'string' | 'strings' | 'pattern' | 'flag';
/** Every key a rule may have, with the kind of value it takes: the compiler keeps this in step with AcceptRule. */
const RULE_KEYS: Record<keyof AcceptRule, ValueKind> = {
  id: 'string', targets: 'strings', except: 'strings', where: 'pattern', field: 'pattern', path: 'pattern', op: 'pattern',
  type: 'pattern', value: 'pattern', reference: 'pattern', derives: 'flag', afterLayerChange: 'flag', afterOp: 'pattern', copiedUp: 'flag',
  whileHeld: 'flag', whileRunning: 'flag', refusedToo: 'flag', besideHeldDir: 'flag', withAcls: 'flag', inLower: 'flag', reason: 'string', spec: 'string',
};
const KIND_WORDS: Record<ValueKind, string> = {
  string: 'a string', strings: 'an array of strings', pattern: 'a string or an array of strings', flag: 'true or false',
};

function isKind(v: unknown, kind: ValueKind): boolean {
  const strings = Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (kind === 'string') return typeof v === 'string';
  if (kind === 'strings') return strings;
  if (kind === 'pattern') return typeof v === 'string' || strings;
  return typeof v === 'boolean';
}

/** The first key of rule `r` whose value is not of its kind (a `"field": 5` would match nothing, or crash). */
function badValue(r: Record<string, unknown>): string | undefined {
  return Object.keys(r).find((k) => k in RULE_KEYS && !isKind(r[k], RULE_KEYS[k as keyof AcceptRule]));
}
const FILE_KEYS = ['about', 'rules'];

/** A key the loader does not know narrows nothing: a misspelt `feild` would accept every field. */
function unknownKey(o: Record<string, unknown>, known: string[]): string | undefined {
  return Object.keys(o).find((k) => !known.includes(k));
}

/** Load and check an accepted-divergence list. */
export function loadRules(file: string): AcceptRule[] {
  const data = readJsonFile<unknown>(file, 'the accepted divergences');
  const rules = isObject(data) ? data.rules : undefined;
  if (!isObject(data) || !Array.isArray(rules)) throw new UsageError(`${file}: expected {"rules": [...]}`);
  const topKey = unknownKey(data, FILE_KEYS);
  if (topKey !== undefined) throw new UsageError(`${file}: unknown key \`${topKey}\` (known: ${FILE_KEYS.join(', ')})`);
  for (const r of rules as AcceptRule[]) {
    if (!isObject(r) || typeof r.id !== 'string' || !Array.isArray(r.targets) || typeof r.reason !== 'string' || typeof r.spec !== 'string') {
      throw new UsageError(`${file}: rule ${JSON.stringify(isObject(r) ? r.id : r)} needs id, targets, reason and spec`);
    }
    if ('after' in r) throw new UsageError(`${file}: rule ${r.id}: \`after\` is gone; name the op (\`op\`, \`derives\`), or use \`afterOp\` (its names only) or \`afterLayerChange\``);
    const key = unknownKey(r as unknown as Record<string, unknown>, Object.keys(RULE_KEYS));
    if (key !== undefined) throw new UsageError(`${file}: rule ${r.id}: unknown key \`${key}\` (known: ${Object.keys(RULE_KEYS).join(', ')})`);
    const bad = badValue(r as unknown as Record<string, unknown>);
    if (bad !== undefined) {
      throw new UsageError(`${file}: rule ${r.id}: \`${bad}\` must be ${KIND_WORDS[RULE_KEYS[bad as keyof AcceptRule]]}, got ${JSON.stringify((r as unknown as Record<string, unknown>)[bad])}`);
    }
    if (r.whileHeld && r.afterOp === undefined) throw new UsageError(`${file}: rule ${r.id}: \`whileHeld\` needs the \`afterOp\` it qualifies`);
    if (r.whileRunning && r.afterOp === undefined) throw new UsageError(`${file}: rule ${r.id}: \`whileRunning\` needs the \`afterOp\` it qualifies`);
    if (r.refusedToo && r.afterOp === undefined) throw new UsageError(`${file}: rule ${r.id}: \`refusedToo\` needs the \`afterOp\` it qualifies`);
    if (r.derives && r.op === undefined) throw new UsageError(`${file}: rule ${r.id}: \`derives\` needs the \`op\` it follows from`);
  }
  return rules as AcceptRule[];
}
