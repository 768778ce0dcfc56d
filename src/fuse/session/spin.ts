// How long the loop polls /dev/fuse without sleeping before it blocks: the window of the kernel's
// guest haltpoll governor (drivers/cpuidle/governors/haltpoll.c, adjust_poll_limit), applied to
// one thread instead of a vCPU.
//
// Why: a client that sends its requests one after another (stat of every path, tar, git status,
// creates) finds the daemon asleep each time, and on a VM whose idle vCPUs halt (this machine
// kind: cpuidle-haltpoll with guest_halt_poll_ns=0) waking it costs an IPI to a halted vCPU and a
// VM entry, tens of µs per request, more than the daemon's own work for a LOOKUP or a GETATTR.
// Polling for a short while after each reply catches the next request without that wake-up.
// Measured (docs/fuse.md, "Polling before sleeping"): lstat of 20k paths 2.1–3.1 s → 1.1–1.4 s,
// with no more daemon CPU (the halts and wake-ups it replaces cost CPU too).
//
// The cost is CPU spent polling when nothing comes, and it is only worth paying with a CPU that
// would otherwise idle. So:
// - the window adapts as haltpoll's does: a request that came after the window but within the
//   limit grows it (it would have paid), one that came later than the limit halves it, and below
//   the start value it drops to 0. An idle mount polls once for at most the limit, then sleeps;
// - the window runs from the end of the last request: what wakes the loop in between (the layer
//   watcher's events, however many) neither extends it nor counts as a request that came (a
//   review: an idle mount beside a process writing to the layers' filesystem polled without end);
// - a poll that finds it was off the CPU for a while (another task ran on it: the machine is
//   busy, or the client woke on this CPU) stops, and the loop does not poll for BACK_OFF_MS: on a
//   busy machine polling takes CPU from others, and a sleeping daemon is woken ahead of CPU-bound
//   tasks (a review: with two CPU hogs a client through a polling mount was 13–33 % slower).
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
  readonly limitMs: number;
  private readonly growStartMs: number;

  /** `limitUs`: the longest window, µs; 0 never polls. */
  constructor(limitUs: number) {
    this.limitMs = Math.max(0, limitUs) / 1000;
    this.growStartMs = this.limitMs / GROW_START_FRACTION;
  }

  /** A request came `waitedMs` after the last one was done (polling included): adjust the window. */
  observe(waitedMs: number): void {
    if (waitedMs > this.windowMs && waitedMs <= this.limitMs) {
      this.windowMs = Math.min(this.limitMs, Math.max(this.growStartMs, this.windowMs * 2));
    } else if (waitedMs > this.limitMs) {
      const half = this.windowMs / 2;
      this.windowMs = half < this.growStartMs ? 0 : half;
    }
  }
}

/**
 * A gap over this between two polls means another task had the CPU meanwhile, ms: a CPU-bound
 * task runs for a slice (0.75 ms or more under EEVDF), a client woken on this CPU for µs.
 */
const PREEMPTED_MS = 1;
/** How long the loop sleeps at once after such a gap, ms. */
export const BACK_OFF_MS = 200;

/** The clock the Spinner reads, ms (performance.now in the loop; a fake in tests). */
export type Clock = () => number;

/**
 * The loop's polling before it sleeps: when to poll, and what each wait teaches the window. The
 * loop calls requestDone() after each request; before a wait, startPolls() says whether to poll
 * first, and polling() after each poll whether to go on; requestCame() when /dev/fuse became
 * readable. Each reads the clock once.
 */
export class Spinner {
  readonly window: SpinWindow;
  /** When the last request was done: the gap to the next one starts there. */
  private since = 0;
  /** Poll without sleeping until then. */
  private until = 0;
  private lastPoll = 0;
  private backOffUntil = 0;

  constructor(limitUs: number, private readonly clock: Clock) {
    this.window = new SpinWindow(limitUs);
  }

  /** A request was answered: poll for the window from now on, unless backing off. */
  requestDone(): void {
    const now = this.clock();
    this.since = now;
    this.until = now < this.backOffUntil ? 0 : now + this.window.windowMs;
  }

  /** A wait begins: whether it polls first (the window since the last request is still open). */
  startPolls(): boolean {
    const now = this.clock();
    this.lastPoll = now;
    return now < this.until;
  }

  /** Poll again without sleeping? Asked right after each poll. */
  polling(): boolean {
    const now = this.clock();
    if (now - this.lastPoll > PREEMPTED_MS) {
      // Off the CPU between two polls: another task wanted it.
      this.backOffUntil = now + BACK_OFF_MS;
      this.until = 0;
      return false;
    }
    this.lastPoll = now;
    return now < this.until;
  }

  /** /dev/fuse became readable: a request came, this long after the last one was done. */
  requestCame(): void {
    const now = this.clock();
    this.until = 0;
    if (now >= this.backOffUntil) this.window.observe(now - this.since);
  }
}
