// CI verdicts over a Report, dive-style: each threshold the user sets is one rule that passes or
// fails. Pure; the CLI maps "any rule failed" to exit 1 and bad thresholds to exit 2.
import { UsageError } from '../errors.js';
import type { Report } from './report.js';
import { parseSize, siSize as size } from './units.js';

export interface Thresholds {
  maxWastedBytes?: number;
  minEfficiency?: number;
  maxDuplicateBytes?: number;
}

export interface RuleResult {
  rule: string;
  limit: string;
  actual: string;
  pass: boolean;
}

export interface ThresholdText {
  maxWastedBytes?: string;
  minEfficiency?: string;
  maxDuplicateBytes?: string;
}

function sizeOption(name: string, text: string): number {
  const v = parseSize(text);
  if (v === null) throw new UsageError(`--${name}: expected a size such as 1000000, 20MB or 1GiB, got '${text}'`);
  return v;
}

/** Parse the threshold options; a malformed one is a UsageError (exit 2) naming the option. */
export function parseThresholds(t: ThresholdText): Thresholds {
  const out: Thresholds = {};
  if (t.maxWastedBytes !== undefined) out.maxWastedBytes = sizeOption('max-wasted-bytes', t.maxWastedBytes);
  if (t.maxDuplicateBytes !== undefined) out.maxDuplicateBytes = sizeOption('max-duplicate-bytes', t.maxDuplicateBytes);
  if (t.minEfficiency !== undefined) {
    // A decimal only: Number() would also take '0x1', '1e0' and '  .5 '.
    const v = Number(t.minEfficiency);
    if (!/^(?:[01](?:\.\d*)?|\.\d+)$/.test(t.minEfficiency) || v > 1) {
      throw new UsageError(`--min-efficiency: expected a ratio between 0 and 1, got '${t.minEfficiency}'`);
    }
    out.minEfficiency = v;
  }
  return out;
}

export function evaluate(report: Report, th: Thresholds): RuleResult[] {
  const out: RuleResult[] = [];
  if (th.maxWastedBytes !== undefined) {
    const a = report.waste.wastedBytes;
    out.push({ rule: 'max-wasted-bytes', limit: size(th.maxWastedBytes), actual: size(a), pass: a <= th.maxWastedBytes });
  }
  if (th.minEfficiency !== undefined) {
    const a = report.waste.efficiency;
    out.push({ rule: 'min-efficiency', limit: String(th.minEfficiency), actual: a.toFixed(4), pass: a >= th.minEfficiency });
  }
  if (th.maxDuplicateBytes !== undefined) {
    const a = report.duplicates.redundantBytes;
    out.push({ rule: 'max-duplicate-bytes', limit: size(th.maxDuplicateBytes), actual: size(a), pass: a <= th.maxDuplicateBytes });
  }
  return out;
}
