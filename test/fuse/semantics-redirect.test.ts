// redirect_dir=on next to the kernel (spec case 04b): lower and merged dirs rename, the upper gets
// the same `redirect` values (relative in the same parent, absolute across parents, kept when
// moved back) and whiteouts at the old names; the merged tree is the same.
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { OverlayXattrs } from '../../src/format/index.js';
import { getXattr } from '../../src/sys/index.js';
import { runTwin } from '../helpers/twin.js';

const trusted = new OverlayXattrs(false);

t.test('04b dir renames with redirect_dir=on write the kernel’s redirects', async (t) => {
  const [k, f] = await runTwin(t, {
    lowers: 2,
    options: 'redirect_dir=on',
    setup(d) {
      const [l1, l2] = d.lowers as [string, string];
      mkdirSync(join(l1, 'ld'));
      writeFileSync(join(l1, 'ld', 'f'), 'f');
      mkdirSync(join(l1, 'md'));
      mkdirSync(join(l2, 'md'));
      writeFileSync(join(l1, 'md', 'top'), 't');
      writeFileSync(join(l2, 'md', 'm'), 'm');
      mkdirSync(join(l2, 'a', 'sub'), { recursive: true });
      writeFileSync(join(l2, 'a', 'sub', 's'), 's');
      mkdirSync(join(l1, 'b'));
    },
    steps(m, d) {
      renameSync(join(m, 'ld'), join(m, 'ld2'));
      renameSync(join(m, 'md'), join(m, 'md2'));
      renameSync(join(m, 'a', 'sub'), join(m, 'b', 'sub'));
      renameSync(join(m, 'ld2'), join(m, 'ld3'));
      renameSync(join(m, 'ld3'), join(m, 'ld'));
      writeFileSync(join(m, 'md2', 'new'), 'n');
      const redirect = (p: string) => getXattr(join(d.upper, p), trusted.name('redirect'))?.toString() ?? null;
      return {
        root: readdirSync(m).sort(),
        md2: readdirSync(join(m, 'md2')).sort(),
        sub: readdirSync(join(m, 'b', 'sub')).sort(),
        redirects: ['ld', 'md2', 'b/sub'].map(redirect),
      };
    },
  });
  t.same(f.observed, k.observed, 'observations, redirect values included');
  t.same(f.tree, k.tree, 'merged tree');
});

t.test('an absolute redirect is followed below a dir that has no lowers of its own', async (t) => {
  const [k, f] = await runTwin(t, {
    lowers: 1,
    options: 'redirect_dir=on',
    setup(d) {
      mkdirSync(join(d.lowers[0]!, 'ld', 'sub'), { recursive: true });
      writeFileSync(join(d.lowers[0]!, 'ld', 'f'), 'f');
      mkdirSync(join(d.upper, 'pure'));
    },
    steps(m) {
      renameSync(join(m, 'ld'), join(m, 'pure', 'ld'));
      return { ld: readdirSync(join(m, 'pure', 'ld')).sort(), nlink: [statSync(join(m, 'pure', 'ld')).nlink, statSync(join(m, 'pure', 'ld', 'sub')).nlink] };
    },
    dump: { nlink: true },
  });
  t.same(f.observed, k.observed, 'observations');
  t.same(f.tree, k.tree, 'merged tree');
});
