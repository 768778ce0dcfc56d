// SpinWindow adapts as the kernel's guest haltpoll governor does (adjust_poll_limit).
import t, { type Test } from 'tap';
import { SpinWindow } from './spin.js';

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
