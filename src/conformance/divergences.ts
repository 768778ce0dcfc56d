// Differences accepted on purpose (suites/divergences.json): each rule names the targets it
// applies to, what it matches (where, field, path, op; `*` globs) and why, with the spec item.
// A scenario whose differences are all accepted is reported as such; anything else is unexpected.
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { Difference } from './diff.js';

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
  /**
   * Scenario-level: the rule only applies from the first op matching this pattern on, and then to
   * every later difference (final tree included). For a limitation whose consequences spread, e.g.
   * a refused renameat2 flag leaves both names where the kernel moved one.
   */
  after?: Pattern;
  reason: string;
  spec: string;
}

/** A glob, or a list of globs any of which may match. */
export type Pattern = string | string[];

export interface Classified {
  difference: Difference;
  /** The rule that accepts it, if any. */
  accepted?: string;
}

function glob(pattern: string): RegExp {
  return new RegExp('^' + pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$', 's');
}

const test = (pat: Pattern | undefined, v: string | undefined) =>
  pat === undefined || (v !== undefined && (Array.isArray(pat) ? pat : [pat]).some((p) => glob(p).test(v)));

/** Index of the first op an `after` rule starts at (undefined: the rule never applies). */
function startOf(rule: AcceptRule, ops: readonly string[]): number | undefined {
  if (rule.after === undefined) return 0;
  const i = ops.findIndex((op) => test(rule.after, op));
  return i < 0 ? undefined : i;
}

function matches(rule: AcceptRule, target: string, d: Difference, ops: readonly string[]): boolean {
  const start = startOf(rule, ops);
  if (start === undefined) return false;
  // Differences in the final state (no op index) come after every op.
  if (rule.after !== undefined && d.where === 'op' && (d.opIndex ?? 0) < start) return false;
  return (
    rule.targets.some((t) => glob(t).test(target)) &&
    !(rule.except ?? []).some((t) => glob(t).test(target)) &&
    test(rule.where, d.where) &&
    test(rule.field, d.field) &&
    test(rule.path, d.path) &&
    test(rule.op, d.op) &&
    test(rule.type, d.type) &&
    test(rule.value, JSON.stringify(d.target))
  );
}

/** Sort each difference into accepted (by the first rule that matches) or unexpected; `ops` are the scenario's ops. */
export function classify(rules: AcceptRule[], target: string, diffs: Difference[], ops: readonly string[] = []): Classified[] {
  return diffs.map((difference) => {
    const rule = rules.find((r) => matches(r, target, difference, ops));
    return rule ? { difference, accepted: rule.id } : { difference };
  });
}

/** Load and check an accepted-divergence list. */
export function loadRules(file: string): AcceptRule[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file}: cannot read the accepted divergences: ${(e as Error).message}`, { cause: e });
  }
  const rules = (data as { rules?: unknown }).rules;
  if (!Array.isArray(rules)) throw new UsageError(`${file}: expected {"rules": [...]}`);
  for (const r of rules as AcceptRule[]) {
    if (typeof r.id !== 'string' || !Array.isArray(r.targets) || typeof r.reason !== 'string' || typeof r.spec !== 'string') {
      throw new UsageError(`${file}: rule ${JSON.stringify(r.id)} needs id, targets, reason and spec`);
    }
  }
  return rules as AcceptRule[];
}
