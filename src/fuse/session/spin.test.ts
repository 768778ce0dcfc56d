// SpinWindow adapts as the kernel's guest haltpoll governor does (adjust_poll_limit).
import t, { type Test } from 'tap';
import { BACK_OFF_MS, SpinWindow, Spinner } from './spin.js';

/** Observe each wait (ms) of `steps` in turn on a window of `limitUs`, checking the window after each. */
function walk(t: Test, limitUs: number, steps: Array<[waited: number, windowMs: number, why?: string]>): void {
  const w = new SpinWindow(limitUs);
  t.equal(w.windowMs, 0, 'starts sleeping at once');
  for (const [waited, windowMs, why] of steps) {
    w.observe(waited);
    t.equal(w.windowMs, windowMs, why ?? `after a wait of ${waited} ms`);
  }
}

t.test('a limit of 0 never polls', async (t) => {
  walk(t, 0, [[0, 0], [0.01, 0], [5, 0]]);
});

t.test('a wait within the limit grows the window: first to a quarter of the limit, then doubling up to it', async (t) => {
  walk(t, 100, [[0.01, 0.025], [0.03, 0.05], [0.06, 0.1], [0.099, 0.1, 'never past the limit']]);
});

t.test('a wait the window covered changes nothing', async (t) => {
  walk(t, 100, [[0.01, 0.025], [0.03, 0.05], [0, 0.05], [0.001, 0.05], [0.05, 0.05]]);
});

t.test('a wait past the limit halves the window, and below the start it drops to 0', async (t) => {
  walk(t, 100, [
    [0.01, 0.025],
    [0.03, 0.05],
    [0.06, 0.1],
    [5, 0.05],
    [0.2, 0.025],
    [1000, 0, 'half of the start value is below it'],
    [1000, 0],
    [0.02, 0.025, 'grows again once waits are short'],
  ]);
});

/** A Spinner of `limitUs` on a clock the test moves (ms). */
function spinnerAt(limitUs: number): { s: Spinner; at: (ms: number) => void } {
  let now = 1000;
  const s = new Spinner(limitUs, () => now);
  return { s, at: (ms) => (now = ms) };
}

/** Requests that came 0.01, 0.03 and 0.06 ms after the last one was done: the window grows to 0.1 ms. */
function grow(s: Spinner, at: (ms: number) => void): void {
  for (const [done, gap] of [[1000, 0.01], [1001, 0.03], [1002, 0.06]] as const) {
    at(done);
    s.requestDone();
    at(done + gap);
    s.requestCame();
  }
}

/** Poll from `from` every `step` ms while the spinner says so; the time of the last poll. */
function pollFrom(s: Spinner, at: (ms: number) => void, from: number, step: number): number {
  at(from);
  if (!s.startPolls()) return from;
  let t = from;
  do {
    t += step;
    at(t);
  } while (s.polling());
  return t;
}

t.test('Spinner: polls for the window from the end of the last request, fed only by requests', async (t) => {
  const { s, at } = spinnerAt(100);
  // Grow the window: requests that come 0.03 ms after the last one was done.
  grow(s, at);
  t.equal(s.window.windowMs, 0.1);
  at(2000);
  s.requestDone();
  const last = pollFrom(s, at, 2000, 0.001);
  t.ok(last >= 2000.1 && last < 2000.102, `polls until the window ends (${last})`);
  // Watcher events wake the loop meanwhile (no requestCame): later waits poll no more.
  at(2000.5);
  t.notOk(s.startPolls(), 'a wait after the window, however many events woke it, sleeps at once');
  at(2000.05);
  t.ok(s.startPolls(), 'a wait within the window polls for the rest of it');
  t.equal(s.window.windowMs, 0.1, 'events do not feed the window');
  at(2010);
  s.requestCame();
  t.equal(s.window.windowMs, 0.05, 'a request 10 ms after the last one halves it');
});

t.test('Spinner: off the CPU between two polls, it backs off for BACK_OFF_MS', async (t) => {
  const { s, at } = spinnerAt(100);
  grow(s, at);
  at(3000);
  s.requestDone();
  t.ok(s.startPolls());
  at(3000.01);
  t.ok(s.polling());
  at(3003);
  t.notOk(s.polling(), 'a gap of 3 ms between polls: another task had the CPU');
  at(3003.1);
  s.requestCame();
  t.equal(s.window.windowMs, 0.1, 'nothing learned while backing off');
  at(3004);
  s.requestDone();
  t.notOk(s.startPolls(), 'no polling while backing off');
  at(3003 + BACK_OFF_MS + 1);
  s.requestDone();
  t.ok(s.startPolls(), 'polls again once the back-off is over');
});
