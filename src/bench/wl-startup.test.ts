import t from 'tap';
import { binEnv, breakdown, parseMarks, timeCommand } from './wl-startup.js';

t.test('marks are ms after the command started; the first of a repeated name counts', async (t) => {
  const m = parseMarks('node-start 1000.5\nbin-running 1100\n\nverdict 1250\nverdict 1300\ngarbage\nx 12 13\n', 1000);
  t.same([...m.entries()], [
    ['node-start', 0.5],
    ['bin-running', 100],
    ['verdict', 250],
  ]);
});

t.test('breakdown: the median per mark, in order of time, with how many runs had it', async (t) => {
  const runs = [
    new Map([['a', 10], ['b', 50], ['c', 90]]),
    new Map([['a', 30], ['b', 40]]),
    new Map([['a', 20], ['b', 60], ['c', 70]]),
  ];
  t.same(breakdown(runs), [
    { mark: 'a', ms: 20, n: 3 },
    { mark: 'b', ms: 50, n: 3 },
    { mark: 'c', ms: 80, n: 2 },
  ]);
  t.same(breakdown([]), []);
});

t.test('timeCommand: the time of a command that succeeds, the reason of one that fails', async (t) => {
  t.ok(timeCommand(['true'], process.env, 10_000) > 0);
  t.throws(() => timeCommand(['sh', '-c', 'echo broken >&2; exit 3'], process.env, 10_000), /sh exited 3: broken/);
});

t.test('binEnv: the environment the bins give node, without NODE_EXTRA_CA_CERTS', async (t) => {
  t.same(binEnv({ NODE_EXTRA_CA_CERTS: '/x.pem', PATH: '/bin', A: '1' }), { PATH: '/bin', A: '1' });
  t.same(binEnv({ PATH: '/bin' }), { PATH: '/bin' });
});
