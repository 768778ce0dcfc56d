// The layer watcher under a redirected dir (redirect_dir=on), next to kernel overlayfs: merged /b
// was renamed from the lower's /a (its upper carries `redirect` and /a is whited out), so a change
// made in the lower's /a while mounted is a change of merged /b. The kernel shows an in-place
// change and a new name in a fresh listing at once; ovl-fuse with the watcher must tell its kernel
// (which keeps attributes and listings for 60 s) under /b, as nothing is held at /a. A control
// mount with the same timeouts and no watcher still shows the old state.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { becomes, listing, mount, mountKernelStack, sh, stack } from '../helpers/watch-stack.js';

const moveA = (m: string) => renameSync(join(m, 'a'), join(m, 'b'));

t.test('a change under the lower source of a redirected dir shows under its merged name', async (t) => {
  const s = stack(t, (l) => {
    mkdirSync(join(l, 'a', 'sub'), { recursive: true });
    writeFileSync(join(l, 'a', 'x'), 'old\n');
    writeFileSync(join(l, 'a', 'sub', 'y'), 'y');
  });
  const kernel = await mountKernelStack(s, 'kernel', 'redirect_dir=on', moveA);
  const fuse = await mount(s, 'fuse', 'auto', 'on', 'redirect_dir=on', moveA);
  const control = await mount(s, 'control', 'always', 'off', 'redirect_dir=on', moveA);
  // Attributes only before the change: a read would make the next stat ask the daemon anyway (atime).
  const look = (m: string) => {
    const x = statSync(join(m, 'b', 'x'));
    return { root: listing(m), size: x.size, mode: (x.mode & 0o777).toString(8), sub: listing(join(m, 'b', 'sub')) };
  };
  const before = { root: ['b'], size: 4, mode: '666', sub: ['y'] };
  t.same(look(kernel), before, 'kernel: /a shows as /b');
  t.same(look(fuse), before, 'ovl-fuse: the same');
  t.same(look(control), before, 'control: the same');

  sh('printf new > a/x && echo er >> a/x && chmod 600 a/x && echo n > a/sub/n', s.lower);
  const after = { root: ['b'], size: 6, mode: '600', sub: ['n', 'y'] };
  t.same(look(kernel), after, 'kernel overlayfs: the change shows under /b at once');
  t.ok(await becomes(() => JSON.stringify(look(fuse)) === JSON.stringify(after)), 'ovl-fuse with the watcher: the same within one event round');
  t.same(look(fuse), after);
  t.equal(readFileSync(join(fuse, 'b', 'x'), 'utf8'), readFileSync(join(kernel, 'b', 'x'), 'utf8'), 'and the new content');
  t.equal(statSync(join(control, 'b', 'x')).size, 4, 'control (no watcher): still the old size, so the watcher did it');
});
