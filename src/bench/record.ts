// Timing and recording: every timed step runs under a clock and a watch on the kernel log for
// foreign drop_caches; every value goes through a check before it becomes a Sample, so a wrong
// answer is recorded as a failure with its reason, never as a time.
import { performance } from 'node:perf_hooks';
import { dropCaches, dropCachesLogged } from '../sys/index.js';
import { firedCount, guardLimitMs, kick } from './guard.js';
import type { Better, Sample, Unit } from './types.js';

/** Times and memory are better lower; throughputs and counts higher unless a caller says otherwise. */
export function betterOf(unit: Unit): Better {
  return unit === 'ms' || unit === 'MiB' ? 'lower' : 'higher';
}

export class CheckFailed extends Error {
  override name = 'CheckFailed';
}

/** Throw CheckFailed with `what` unless `ok`. */
export function expect(ok: boolean, what: string): asserts ok {
  if (!ok) throw new CheckFailed(what);
}

let dropping = true;

/** --no-drop-caches: "cold" steps then only remount (kinder to a shared machine; the report says so). */
export function setDropCaches(on: boolean): void {
  dropping = on;
}

/** Whether cold steps really start cold (false under --no-drop-caches). */
export function droppingCaches(): boolean {
  return dropping;
}

/** Before a cold step: sync and drop the page, dentry and inode caches (unless switched off). */
export async function makeCold(): Promise<void> {
  if (dropping) await dropCaches();
}

export interface Timed<T> {
  ms: number;
  value: T;
  interfered: number;
}

/** Time `fn`; counts foreign drop_caches logged while it ran. */
export async function timed<T>(fn: () => T | Promise<T>): Promise<Timed<T>> {
  const before = await dropCachesLogged();
  kick();
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  const after = await dropCachesLogged();
  return { ms, value, interfered: before !== null && after !== null ? after - before : 0 };
}

/**
 * Run `pass` (one whole unit of work, returning its size) again and again until `minMs` have
 * passed, at least once. A throughput taken over the total then spans ≥ minMs of work, so one
 * preemption of the reader moves it by its share of that time, not of one short pass.
 */
export function repeatFor(pass: () => number, minMs: number, now: () => number = () => performance.now()): { total: number; passes: number } {
  const t0 = now();
  let total = 0;
  let passes = 0;
  do {
    total += pass();
    passes++;
  } while (now() - t0 < minMs);
  return { total, passes };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Collects the samples of one target in one round of one section. */
export class Recorder {
  readonly samples: Sample[] = [];
  constructor(
    readonly section: string,
    readonly target: string,
    readonly round: number,
  ) {}

  ok(metric: string, value: number, unit: Unit, interfered = 0, better: Better = betterOf(unit)): void {
    this.samples.push({ section: this.section, target: this.target, round: this.round, metric, value, unit, better, interfered });
  }

  fail(metric: string, reason: string, unit: Unit = 'ms', better: Better = betterOf(unit)): void {
    this.samples.push({ section: this.section, target: this.target, round: this.round, metric, value: null, unit, better, fail: reason, interfered: 0 });
  }

  /**
   * Run one measurement: `fn` returns the value (after its own checks); any throw becomes a FAIL
   * of `metric` with the message as the reason, so one broken step never stops the run.
   */
  async measure(metric: string, unit: Unit, fn: () => Promise<Measured>): Promise<boolean> {
    return this.measureAll([[metric, unit]], async () => ({ [metric]: await fn() }));
  }

  /**
   * Several values whose correctness is one check made after all of them (e.g. copy-up and the
   * sync after it): either all are recorded or all fail with the same reason.
   */
  async measureAll(metrics: Array<[string, Unit]>, fn: () => Promise<Record<string, Measured>>): Promise<boolean> {
    let got: Record<string, Measured>;
    const fired = firedCount();
    kick();
    try {
      got = await fn();
    } catch (err) {
      const hung = firedCount() > fired ? `no answer for ${guardLimitMs() / 1000} s, force-unmounted: ` : '';
      for (const [m, unit] of metrics) this.fail(m, hung + reason(err), unit);
      return false;
    }
    for (const [m, unit] of metrics) {
      const v = got[m];
      if (v === undefined) this.fail(m, 'not measured', unit);
      else this.ok(m, v.value, unit, v.interfered);
    }
    return true;
  }
}

export type Measured = { value: number; interfered: number };

/** One line saying why a step failed. */
export function reason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.slice(0, 300);
}
