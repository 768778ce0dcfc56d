// A workdir where work/ cannot be made (immutable, a work/ that cannot be removed, a deleted dir):
// the kernel mounts read-only with a warning (ovl_workdir_create, "mounting read-only"; xfstests
// overlay/035) and refuses a remount rw; so does ovl-fuse, except that a FUSE mount cannot refuse
// the remount: the daemon then answers every change EROFS itself. And `ro` with an upper: work/
// is made at mount as the kernel makes it, so that a remount rw writes (copy-ups included).
// Side by side with the kernel on the same layouts (checked on 6.18).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync, chmodSync, chownSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmdirSync,
  symlinkSync, truncateSync, unlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { formatMountOptions } from '../../src/format/index.js';
import { setXattr, statVfs } from '../../src/sys/index.js';
import { type LayerDirs, type Teardowns, kernelOptions, layerDirs } from '../helpers/layers.js';
import { tryMount } from '../helpers/mount-target.js';
import { tmpfsAt } from '../helpers/scratch-fs.js';
import { attempt, done, upperState } from '../helpers/side-by-side.js';

type Target = 'kernel' | 'dev' | 'fuse-native';

/** chattr `flag` on `path`, undone in teardown (before layerDirs removes the tree: teardowns run last first). */
function chattr(t: Teardowns, flag: string, path: string): void {
  execFileSync('chattr', [flag, path]);
  t.teardown(() => void execFileSync('chattr', [flag.replace('+', '-'), path]));
}

/** A lower file `a`, an upper file `c` and an upper dir `ud`. */
function fill(d: LayerDirs): void {
  writeFileSync(join(d.lowers[0]!, 'a'), 'lower a\n');
  writeFileSync(join(d.upper, 'c'), 'upper c\n');
  mkdirSync(join(d.upper, 'ud'));
}

/** Mount `target` with `extra` options (and `workdir` instead of d.work); the command's exit code and stderr. */
function mount(target: Target, d: LayerDirs, extra = '', workdir = d.work): Promise<{ code: number; stderr: string }> {
  const opts = formatMountOptions({ ...kernelOptions(d), workdir }) + extra;
  return target === 'kernel' ? tryMount('kernel', d.merged, opts) : tryMount('fuse', d.merged, `${opts},transport=${target}`);
}

/** ST_RDONLY: the mount, or its superblock, is read-only. */
const readOnly = (m: string) => (statVfs(m).flag & 1) !== 0;

/** Every kind of change through the mount, each one's result ('ok' or the errno code). */
function changes(m: string) {
  const p = (n: string) => join(m, n);
  return {
    create: done(() => writeFileSync(p('new'), 'n')),
    appendLower: done(() => appendFileSync(p('a'), 'x')),
    appendUpper: done(() => appendFileSync(p('c'), 'x')),
    truncate: done(() => truncateSync(p('c'), 1)),
    mkdir: done(() => mkdirSync(p('d'))),
    chmod: done(() => chmodSync(p('a'), 0o600)),
    chown: done(() => chownSync(p('c'), 1, 1)),
    utimes: done(() => utimesSync(p('a'), 1, 1)),
    setxattr: done(() => setXattr(p('c'), 'user.x', Buffer.from('1'))),
    symlink: done(() => symlinkSync('t', p('s'))),
    link: done(() => linkSync(p('c'), p('c3'))),
    rename: done(() => renameSync(p('c'), p('c2'))),
    unlinkLower: done(() => unlinkSync(p('a'))),
    rmdir: done(() => rmdirSync(p('ud'))),
  };
}

/** mount(2) with MS_REMOUNT and no helper, as `mount -o remount,rw` does for the kernel's overlay. */
const remountRw = (m: string) => spawnSync('mount', ['-i', '-o', 'remount,rw', m]).status === 0;

const TARGETS: readonly Target[] = ['kernel', 'dev', 'fuse-native'];

/**
 * For each target: fresh layers, `prepare` (returns the workdir to give), mounted, observed,
 * unmounted; the upper and the workdir's listing read after. `prepare` runs before the mount.
 */
async function eachTarget(t: Teardowns, name: string, prepare: (t: Teardowns, d: LayerDirs) => string, extra = '') {
  const out: Partial<Record<Target, { mount: { code: number; stderr: string }; workdir: string; seen: unknown; upper: unknown; work: string[] }>> = {};
  for (const target of TARGETS) {
    const d = layerDirs(t, 1, `ovlkit-workdir-ro-${name}-${target}-`);
    fill(d);
    const workdir = prepare(t, d);
    const m = await mount(target, d, extra, workdir);
    const seen = {
      ro: readOnly(d.merged),
      read: attempt(() => [readFileSync(join(d.merged, 'a'), 'utf8'), readFileSync(join(d.merged, 'c'), 'utf8')]),
      before: changes(d.merged),
      remounted: remountRw(d.merged),
      after: changes(d.merged),
    };
    spawnSync('umount', [d.merged]);
    out[target] = { mount: m, workdir, seen, upper: upperState(d.upper), work: readdirSync(d.work).sort() };
  }
  return out;
}

const EROFS_ALL = Object.fromEntries(Object.keys(changes('/nonexistent')).map((k) => [k, { error: 'EROFS' }]));

t.test('work/ that cannot be made: read-only with a warning, every change EROFS, nothing written', async (t) => {
  const layouts: Array<[string, string, (t: Teardowns, d: LayerDirs) => string, string]> = [
    ['immutable workdir', 'immutable', (t, d) => (chattr(t, '+i', d.work), d.work), 'operation not permitted (immutable or append-only?) (EPERM)'],
    ['immutable work/ left by an earlier mount', 'old-work', (t, d) => {
      mkdirSync(join(d.work, 'work'), 0o755);
      writeFileSync(join(d.work, 'work', 'old'), '');
      chattr(t, '+i', join(d.work, 'work'));
      return d.work;
    }, 'operation not permitted (immutable or append-only?) (EPERM)'],
  ];
  for (const [name, slug, prepare, why] of layouts) {
    await t.test(name, async (t) => {
      const runs = await eachTarget(t, slug, prepare);
      const before = (() => {
        const d = layerDirs(t, 1);
        fill(d);
        return upperState(d.upper);
      })();
      for (const target of TARGETS) {
        const r = runs[target]!;
        t.equal(r.mount.code, 0, `${target} mounts`);
        t.same(r.seen, {
          ro: true,
          read: ['lower a\n', 'upper c\n'],
          before: EROFS_ALL,
          // The kernel refuses the remount itself; a FUSE mount cannot, the daemon refuses the changes.
          remounted: target !== 'kernel',
          after: EROFS_ALL,
        }, `${target}: read-only before and after a remount rw`);
        t.same(r.upper, before, `${target}: the upper as it was`);
      }
      t.same(runs.dev!.work, runs.kernel!.work, 'the workdir as the kernel leaves it');
      for (const target of ['dev', 'fuse-native'] as const) {
        const r = runs[target]!;
        t.equal(r.mount.stderr, `ovl-fuse: warning: workdir ${r.workdir}: cannot create ${r.workdir}/work: ${why}; mounting read-only`, `${target}: one warning line`);
      }
    });
  }
});

t.test('a deleted workdir (reached through /proc/PID/cwd): read-only with a warning, as the kernel', async (t) => {
  const runs = await eachTarget(t, 'deleted', (t, d) => {
    const gone = join(d.root, 'gone');
    mkdirSync(gone);
    // A process inside it keeps the removed dir reachable; its path leads nowhere.
    const holder = spawn('sleep', ['60'], { cwd: gone, stdio: 'ignore' });
    t.teardown(() => void holder.kill());
    execFileSync('sh', ['-c', `while [ "$(readlink /proc/${holder.pid}/cwd)" != "${gone}" ]; do sleep 0.01; done`]);
    rmdirSync(gone);
    return `/proc/${holder.pid}/cwd`;
  });
  for (const target of TARGETS) {
    const r = runs[target]!;
    t.equal(r.mount.code, 0, `${target} mounts`);
    t.match(r.seen, { ro: true, before: EROFS_ALL, after: EROFS_ALL }, `${target}: read-only`);
  }
  const dev = runs.dev!;
  t.equal(dev.mount.stderr, `ovl-fuse: warning: workdir ${dev.workdir}: cannot create ${dev.workdir}/work: the directory no longer exists (deleted?) (ENOENT); mounting read-only`);
});

t.test('ro with an upper: work/ made at mount as the kernel does; a remount rw then writes', async (t) => {
  const runs = await eachTarget(t, 'ro', (_t, d) => d.work, ',ro');
  const kernel = runs.kernel!;
  t.same(kernel.seen, {
    ro: true,
    read: ['lower a\n', 'upper c\n'],
    before: EROFS_ALL,
    remounted: true,
    after: { ...Object.fromEntries(Object.keys(EROFS_ALL).map((k) => [k, 'ok'])) },
  }, 'the kernel: read-only, then writable after the remount');
  for (const target of ['dev', 'fuse-native'] as const) {
    const r = runs[target]!;
    t.same([r.mount.code, r.mount.stderr], [0, ''], `${target} mounts without a word`);
    t.same(r.seen, kernel.seen, `${target}: as the kernel`);
    t.same(r.upper, kernel.upper, `${target}: the upper as the kernel leaves it`);
    t.same(r.work, kernel.work, `${target}: work/ as the kernel's`);
    t.equal(lstatSync(join(r.workdir, 'work')).mode & 0o7777, 0, `${target}: work/ mode 000`);
  }
});

t.test('an upper on a read-only filesystem: refused by both, not mounted read-only', async (t) => {
  const codes: Record<string, number> = {};
  for (const target of TARGETS) {
    const d = layerDirs(t, 1, `ovlkit-workdir-ro-fs-${target}-`);
    const fs = tmpfsAt(d, join(d.root, 'fs'));
    mkdirSync(join(fs, 'u'));
    mkdirSync(join(fs, 'w'));
    execFileSync('mount', ['-o', 'remount,ro', fs]);
    const r = await mount(target, { ...d, upper: join(fs, 'u') }, '', join(fs, 'w'));
    codes[target] = r.code === 0 ? 0 : 1;
    if (target !== 'kernel') t.same([r.code, r.stderr], [2, `ovl-fuse: upperdir ${join(fs, 'u')}: filesystem is read-only`], `${target}: exit 2, one line`);
    t.same(readdirSync(join(fs, 'w')), [], `${target}: nothing made in the workdir`);
    spawnSync('umount', [d.merged]);
  }
  t.same(codes, { kernel: 1, dev: 1, 'fuse-native': 1 }, 'refused by all');
});
