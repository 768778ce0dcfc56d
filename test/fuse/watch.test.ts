// Layers changed outside the mount, seen through ovl-fuse on the /dev/fuse transport with the layer
// watcher: each change shows within one event round although the kernel was told to keep names and
// attributes for 60 s. A control mount of the same lower with the same long timeouts and no
// watcher still shows the old state when the watched one already shows the new one, which proves
// the watcher is what does it (test/helpers/watch-stack.ts: changes come from child processes,
// every mount is unmounted in teardown).
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { dropCachesLogged, listMounts } from '../../src/sys/index.js';
import { type Stack, becomes, listing, mount, sh, stack } from '../helpers/watch-stack.js';

interface Case {
  name: string;
  populate(lower: string): void;
  /** Look at everything the change will touch, so the kernel caches it. */
  warm(m: string): void;
  change(s: Stack): void;
  /** The new state, as seen through merged dir `m`. */
  changed(m: string): boolean;
  /**
   * The old state still shows through the control mount: what the kernel answers from its caches
   * (a read makes the next stat ask the daemon, since it invalidates the atime, and a listing can
   * be read afresh, so the control looks at attributes and names only).
   */
  stale(m: string): boolean;
  /** How the control mount is warmed, when it is not as `warm`. */
  warmControl?(m: string): void;
}

const run = promisify(execFile);

/** A watched mount (cache=auto) over an empty lower, and its upper dir. */
async function watchedEmpty(t: Parameters<typeof stack>[0]): Promise<{ m: string; upper: string }> {
  const s = stack(t, () => {});
  const m = await mount(s, 'auto', 'auto', 'on');
  return { m, upper: s.mounts.get('auto')!.upper };
}

const cases: Case[] = [
  {
    name: 'a file grown and changed in place in the lower',
    populate: (l) => writeFileSync(join(l, 'f'), 'old\n'),
    warm: (m) => void [statSync(join(m, 'f')), readFileSync(join(m, 'f'))],
    change: (s) => sh('printf new > f && echo er >> f', s.lower),
    changed: (m) => statSync(join(m, 'f')).size === 6 && readFileSync(join(m, 'f'), 'utf8') === 'newer\n',
    stale: (m) => statSync(join(m, 'f')).size === 4,
    warmControl: (m) => void statSync(join(m, 'f')),
  },
  {
    name: 'a new name in a lower dir already listed and looked up (a negative entry)',
    populate: (l) => mkdirSync(join(l, 'd')),
    warm: (m) => void [listing(join(m, 'd')), existsSync(join(m, 'd', 'n'))],
    change: (s) => sh('echo n > d/n', s.lower),
    changed: (m) => listing(join(m, 'd')).includes('n') && readFileSync(join(m, 'd', 'n'), 'utf8') === 'n\n',
    stale: (m) => !existsSync(join(m, 'd', 'n')),
  },
  {
    name: 'a deletion in the lower',
    populate: (l) => {
      mkdirSync(join(l, 'd'));
      writeFileSync(join(l, 'd', 'f'), 'x');
    },
    warm: (m) => void [listing(join(m, 'd')), statSync(join(m, 'd', 'f'))],
    change: (s) => sh('rm d/f', s.lower),
    changed: (m) => !existsSync(join(m, 'd', 'f')) && listing(join(m, 'd')).length === 0,
    stale: (m) => existsSync(join(m, 'd', 'f')),
  },
  {
    name: 'a rename in the lower',
    populate: (l) => {
      mkdirSync(join(l, 'd'));
      writeFileSync(join(l, 'd', 'a'), 'a');
    },
    warm: (m) => void [listing(join(m, 'd')), statSync(join(m, 'd', 'a')), existsSync(join(m, 'd', 'b'))],
    change: (s) => sh('mv d/a d/b', s.lower),
    changed: (m) => !existsSync(join(m, 'd', 'a')) && readFileSync(join(m, 'd', 'b'), 'utf8') === 'a' && listing(join(m, 'd')).join() === 'b',
    stale: (m) => existsSync(join(m, 'd', 'a')) && !existsSync(join(m, 'd', 'b')),
  },
  {
    name: 'a new dir in the lower under a listed merged dir, then a file in it',
    populate: (l) => mkdirSync(join(l, 'd')),
    warm: (m) => void [listing(join(m, 'd')), existsSync(join(m, 'd', 'e'))],
    change: (s) => sh('mkdir d/e && echo y > d/e/g', s.lower),
    changed: (m) => listing(join(m, 'd')).includes('e') && readFileSync(join(m, 'd', 'e', 'g'), 'utf8') === 'y\n',
    stale: (m) => !existsSync(join(m, 'd', 'e')),
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const s = stack(t, c.populate);
    const drops = await dropCachesLogged();
    const auto = await mount(s, 'auto', 'auto', 'on');
    const always = await mount(s, 'always', 'always', 'on');
    const control = await mount(s, 'control', 'always', 'off');
    c.warm(auto);
    c.warm(always);
    (c.warmControl ?? c.warm)(control);
    t.notOk(c.changed(auto), 'not changed before');
    c.change(s);
    t.ok(await becomes(() => c.changed(auto)), 'cache=auto (default, watch on): visible within one event round');
    t.ok(await becomes(() => c.changed(always)), 'cache=always,watch=on: visible too');
    const stale = c.stale(control);
    // Tests running beside this one drop the caches (node-counts, transport, section-c): the
    // control then forgets its cached state and shows the change without any watcher.
    if (!stale && drops !== null && (await dropCachesLogged()) !== drops) {
      t.comment('another test dropped the caches meanwhile: the watch=off control proves nothing this time');
    } else {
      t.ok(stale, 'cache=always,watch=off: still the old state (so the watcher did it)');
    }
  });
}

t.test('a change made directly in the upper is visible too', async (t) => {
  const s = stack(t, (l) => writeFileSync(join(l, 'f'), 'lower\n'));
  const m = await mount(s, 'auto', 'auto', 'on');
  const upper = s.mounts.get('auto')!.upper;
  t.equal(readFileSync(join(m, 'f'), 'utf8'), 'lower\n');
  void listing(m);
  sh('echo upper > f && echo new > g', upper);
  t.ok(await becomes(() => readFileSync(join(m, 'f'), 'utf8') === 'upper\n' && listing(m).join() === 'f,g'));
});

t.test('a file written through the mount stays; a storm of 300 creates and 111 deletes outside is absorbed', async (t) => {
  const s = stack(t, (l) => mkdirSync(join(l, 'd')));
  const m = await mount(s, 'auto', 'auto', 'on');
  writeFileSync(join(m, 'd', 'mine'), 'through the mount');
  t.equal(readFileSync(join(m, 'd', 'mine'), 'utf8'), 'through the mount');
  void listing(join(m, 'd'));
  sh('for i in $(seq 1 300); do echo $i > d/f$i; done; rm d/f1*', s.lower);
  t.ok(await becomes(() => listing(join(m, 'd')).length === 1 + 300 - 111), 'all 189 remaining names and ours, no error');
  t.equal(readFileSync(join(m, 'd', 'f299'), 'utf8'), '299\n');
});

t.test('a file open for writing through the mount, written outside meanwhile and after its close', async (t) => {
  // Its own writes pass through to the upper file, and the kernel accounts for them itself; one
  // made outside must still reach the kernel through the watcher, while open and after.
  const { m, upper } = await watchedEmpty(t);
  const fd = openSync(join(m, 'f'), 'w');
  try {
    writeSync(fd, 'abc');
    t.equal(statSync(join(m, 'f')).size, 3);
    sh('printf defg >> f', upper);
    t.ok(await becomes(() => statSync(join(m, 'f')).size === 7), 'seen while open');
    writeSync(fd, 'h', 7);
    t.equal(fstatSync(fd).size, 8);
  } finally {
    closeSync(fd);
  }
  t.equal(statSync(join(m, 'f')).size, 8);
  // Closed: the file's attributes are kept 60 s again, and its writes reported again.
  sh('printf ij >> f', upper);
  t.ok(await becomes(() => statSync(join(m, 'f')).size === 10 && readFileSync(join(m, 'f'), 'utf8') === 'abcdefghij'), 'seen after the close');
});

t.test('a file written through the mount and, by the same process, beside it while open', async (t) => {
  // The daemon runs in this test process: the writer must be another one. Its passthrough write
  // and its own write to the upper file carry the same pid; only the second is news to the
  // kernel, and it must be seen while the file is still open through the mount (so no rule may
  // drop a write event by the pid of a process that holds the file open through the mount).
  const { m, upper } = await watchedEmpty(t);
  const script = `const fs = require('fs');
    const fd = fs.openSync(process.argv[1], 'w');
    fs.writeSync(fd, 'abc');
    const first = fs.statSync(process.argv[1]).size;
    fs.appendFileSync(process.argv[2], 'defg');
    let size = 0;
    for (let i = 0; i < 200 && size !== 7; i++) {
      size = fs.statSync(process.argv[1]).size;
      if (size !== 7) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
    fs.closeSync(fd);
    console.log(first + ' ' + size);`;
  const { stdout } = await run(process.execPath, ['-e', script, join(m, 'f'), join(upper, 'f')]);
  t.equal(stdout.trim(), '3 7', 'its own write beside the mount is seen while it holds the file open');
});

t.teardown(() => {
  const left = listMounts().filter((e) => e.target.includes('ovlkit-watch-'));
  if (left.length > 0) throw new Error(`left mounted: ${left.map((e) => e.target).join(', ')}`);
});
