// redirect_dir=on next to the kernel (spec case 04b): lower and merged dirs rename, the upper gets
// the same `redirect` values (relative in the same parent, absolute across parents, kept when
// moved back) and whiteouts at the old names; the merged tree is the same.
import { mkdirSync, readdirSync, renameSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { OverlayXattrs } from '../../src/format/index.js';
import { getXattr, setXattr } from '../../src/sys/index.js';
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

// A kernel-source review (2026-12-08): with redirect_dir=nofollow (which userxattr implies) the
// kernel refuses a dir carrying a redirect above the bottom layer, EPERM ("refusing to follow
// redirect", ovl_check_nextredirect), where ovl-fuse merged it by name: other contents, and an
// origin and impure written into the upper. An opaque dir stops before its redirect is read, and
// neither the parent's last lower copy's nor an upper one below a dir with no lower copy is read.
for (const userxattr of [false, true]) {
  const x = new OverlayXattrs(userxattr);
  t.test(`redirect_dir=nofollow${userxattr ? ' (implied by userxattr)' : ''}: a redirected dir is EPERM, as the kernel's`, async (t) => {
    const [k, f] = await runTwin(t, {
      lowers: 2,
      options: userxattr ? 'userxattr' : 'redirect_dir=nofollow',
      setup(d) {
        const [l1, l2] = d.lowers as [string, string];
        mkdirSync(join(l2, 'a'));
        writeFileSync(join(l2, 'a', 'f'), 'f');
        // In the upper: redirected (absolute, relative, to nothing), and opaque beside its redirect.
        for (const [dir, redirect] of [['up', '/a'], ['rel', 'a'], ['gone', '/nowhere'], ['opq', '/a'], ['dbl', '//a']] as const) {
          mkdirSync(join(d.upper, dir));
          setXattr(join(d.upper, dir), x.name('redirect'), redirect);
        }
        setXattr(join(d.upper, 'opq'), x.name('opaque'), 'y');
        // In the middle layer (not the bottom), and in the bottom layer, where it is never read.
        mkdirSync(join(l1, 'mid'));
        setXattr(join(l1, 'mid'), x.name('redirect'), '/a');
        mkdirSync(join(l2, 'low'));
        writeFileSync(join(l2, 'low', 'g'), 'g');
        setXattr(join(l2, 'low'), x.name('redirect'), '/a');
        // Below a dir with no lower copy: not read either (nothing below to follow it into).
        mkdirSync(join(d.upper, 'pure', 'inner'), { recursive: true });
        setXattr(join(d.upper, 'pure', 'inner'), x.name('redirect'), '/a');
        // A dir holding a refused one is not empty (the kernel's emptiness check looks nothing up).
        mkdirSync(join(l1, 'P', 'D'), { recursive: true });
        setXattr(join(l1, 'P', 'D'), x.name('redirect'), '/a');
        mkdirSync(join(l2, 'P'));
      },
      steps(m) {
        const names = ['up', 'rel', 'gone', 'opq', 'dbl', 'mid', 'low', 'pure/inner', 'P/D'];
        return {
          rmdirP: attemptErr(() => rmdirSync(join(m, 'P'))),
          root: readdirSync(m).sort(),
          stat: Object.fromEntries(names.map((n) => [n, statKind(join(m, n))])),
          inside: Object.fromEntries(names.map((n) => [n, attemptList(join(m, n))])),
        };
      },
    });
    t.same(f.observed, k.observed, 'stat and listings');
    t.same(f.tree, k.tree, 'merged tree');
    t.same(upperXattrs(f.dirs.upper, x), upperXattrs(k.dirs.upper, x), 'nothing written into the upper');
  });
}

/** What a stat through the mount finds: a dir, something else, or the errno. */
function statKind(p: string): string | undefined {
  try {
    return statSync(p).isDirectory() ? 'dir' : 'other';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  }
}

function attemptErr(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

function attemptList(p: string): string[] | string {
  try {
    return readdirSync(p).sort();
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

/** The overlay xattrs on the upper root and its dirs, by name. */
function upperXattrs(upper: string, x: OverlayXattrs): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const dir of ['', ...readdirSync(upper)]) {
    out[dir || '/'] = (['origin', 'impure', 'redirect', 'opaque'] as const).filter((n) => getXattr(join(upper, dir), x.name(n)) !== null);
  }
  return out;
}

// The same review: a redirect value the kernel cannot follow fails the lookup (EINVAL: "invalid
// redirect"; EACCES for a `.` or `..` component, which the layer's lookup refuses), where ovl-fuse
// merged the dir by name or read "//x" as "/x". Not read in the bottom layer. The root, made
// impure by the lookup of the good one, then fails its listing as the kernel's does.
t.test('a redirect the kernel cannot follow: EINVAL or EACCES, as the kernel', async (t) => {
  const values: Array<[string, string]> = [['slash', 'a/b'], ['double', '//x'], ['trailing', '/x/'], ['dots', '..'], ['inner', '/x/../x'], ['good', '/x']];
  const [k, f] = await runTwin(t, {
    lowers: 2,
    options: 'redirect_dir=on',
    setup(d) {
      const [l1, l2] = d.lowers as [string, string];
      mkdirSync(join(l2, 'x'));
      writeFileSync(join(l2, 'x', 'f'), 'f');
      for (const [dir, value] of values) {
        mkdirSync(join(d.upper, dir));
        setXattr(join(d.upper, dir), trusted.name('redirect'), value);
      }
      // In the middle layer, which the root also has below it: read.
      mkdirSync(join(l1, 'mid'));
      setXattr(join(l1, 'mid'), trusted.name('redirect'), '//x');
      // In `p`, which only l1 holds: read all the same (the search may go on below p's copies).
      mkdirSync(join(l1, 'p', 'last'), { recursive: true });
      setXattr(join(l1, 'p', 'last'), trusted.name('redirect'), 'a/b');
      // In the bottom layer: never read.
      mkdirSync(join(l2, 'q', 'low'), { recursive: true });
      setXattr(join(l2, 'q', 'low'), trusted.name('redirect'), 'a/b');
      // `..` where the search never gets to it: below a dir with no lower copy, and after a path
      // that is not there; read, so not refused, and nothing below is merged.
      mkdirSync(join(d.upper, 'pure', 'dots'), { recursive: true });
      setXattr(join(d.upper, 'pure', 'dots'), trusted.name('redirect'), '..');
      mkdirSync(join(d.upper, 'absent'));
      setXattr(join(d.upper, 'absent'), trusted.name('redirect'), '/nowhere/..');
      // A plain dir holding a refused one lists it; a dir holding one is not empty.
      mkdirSync(join(d.upper, 'lst', 'bad'), { recursive: true });
      setXattr(join(d.upper, 'lst', 'bad'), trusted.name('redirect'), '//x');
      mkdirSync(join(l1, 'lowp', 'bad'), { recursive: true });
      setXattr(join(l1, 'lowp', 'bad'), trusted.name('redirect'), 'a/b');
      mkdirSync(join(l2, 'lowp'));
    },
    steps(m) {
      const names = [...values.map(([n]) => n), 'mid', 'p/last', 'q/low', 'pure/dots', 'absent', 'lst/bad', 'lowp/bad'];
      return {
        stat: Object.fromEntries(names.map((n) => [n, statKind(join(m, n))])),
        lists: Object.fromEntries(['pure', 'lst', 'lowp', 'p'].map((n) => [n, attemptList(join(m, n))])),
        rmdirLowp: attemptErr(() => rmdirSync(join(m, 'lowp'))),
      };
    },
  });
  t.same(f.observed, k.observed, 'errnos');
  t.same(f.tree, k.tree, 'merged tree');
});
