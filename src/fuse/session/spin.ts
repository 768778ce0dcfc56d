// How long the loop polls /dev/fuse without sleeping before it blocks: the window of the kernel's
// guest haltpoll governor (drivers/cpuidle/governors/haltpoll.c, adjust_poll_limit), applied to
// one thread instead of a vCPU.
//
// Why: a client that sends its requests one after another (stat of every path, tar, git status,
// creates) finds the daemon asleep each time, and on a VM whose idle vCPUs halt (this machine
// kind: cpuidle-haltpoll with guest_halt_poll_ns=0) waking it costs an IPI to a halted vCPU and a
// VM entry, tens of µs per request, more than the daemon's own work for a LOOKUP or a GETATTR.
// Polling for a short while after each reply catches the next request without that wake-up.
// Measured (docs/fuse.md, "Polling before sleeping"): lstat of 20k paths 2.8–3.3 s → 1.1–1.5 s,
// with no more daemon CPU (the halts and wake-ups it replaces cost CPU too).
//
// The cost is CPU spent polling when nothing comes. The window adapts as haltpoll's does, so a
// mount that waits longer than the limit stops polling: a wait that ended within the limit but
// after the window grows it (it would have paid), one longer than the limit halves it, and below
// the start value it drops to 0. An idle mount polls once for at most the limit, then sleeps.
// `-o spin=0` turns it off.

/** `-o spin` when not given, µs: haltpoll's own limit is 200 µs; 100 caught most requests here (docs/fuse.md). */
export const DEFAULT_SPIN_US = 100;

/** The longest `-o spin` taken, µs. */
export const MAX_SPIN_US = 10_000;

/** The window a wait that would have paid grows to first (haltpoll's guest_halt_poll_grow_start, scaled to the limit). */
const GROW_START_FRACTION = 4;

export class SpinWindow {
  /** How long the next wait polls before it sleeps, ms (0: it sleeps at once). */
  windowMs = 0;
  private readonly growStartMs: number;

  /** `limitUs`: the longest window, µs; 0 never polls. */
  constructor(limitUs: number) {
    this.limitMs = Math.max(0, limitUs) / 1000;
    this.growStartMs = this.limitMs / GROW_START_FRACTION;
  }

  readonly limitMs: number;

  /** A wait found something ready after `waitedMs` (its polling included): adjust the window. */
  observe(waitedMs: number): void {
    if (waitedMs > this.windowMs && waitedMs <= this.limitMs) {
      this.windowMs = Math.min(this.limitMs, Math.max(this.growStartMs, this.windowMs * 2));
    } else if (waitedMs > this.limitMs) {
      const half = this.windowMs / 2;
      this.windowMs = half < this.growStartMs ? 0 : half;
    }
  }
}
