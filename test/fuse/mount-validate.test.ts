// Which layer layouts and option strings a mount accepts, side by side with the kernel's overlay
// on the very same dirs: each case mounted with `mount -t overlay` and with ovl-fuse, and both
// must accept it or both refuse it (ovl-fuse with exit 2, one line). A review found ovl-fuse
// accepting two equal or nested lowers (the kernel: ELOOP), refusing an upper or workdir inside a
// lower (the kernel mounts), refusing `lowerdir+=` in the option string (the kernel takes it),
// and accepting a workdir on a bind mount of the upper's filesystem, where every copy-up then
// failed EXDEV.
import { mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t, { type Test } from 'tap';
import { isMounted, umountSurely } from '../../src/sys/index.js';
import { ovlFuseBin } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';
import { kernelOverlayAt } from '../helpers/scratch-fs.js';

const run = (args: string[]) => execa(ovlFuseBin, args, { reject: false, env: { CI: '' } });

/**
 * `opts` refused on both: the kernel's mount fails (and is undone if it did not), ovl-fuse's exits
 * 2 with one line matching `message`, and nothing is mounted.
 */
async function refusedByBoth(t: Test, merged: string, opts: string, message: RegExp): Promise<void> {
  const kernel = await execa('mount', ['-t', 'overlay', 'overlay', '-o', opts, merged], { reject: false });
  if (kernel.exitCode === 0) await umountSurely(merged);
  t.not(kernel.exitCode, 0, 'the kernel refuses it');
  const r = await run(['-o', opts, merged]);
  t.equal(r.exitCode, 2, r.stderr);
  t.match(r.stderr, message);
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  t.notOk(isMounted(merged));
  // Mounted after all (a failure): off again, or the next case stacks its mounts on it.
  while (isMounted(merged)) await umountSurely(merged);
}

t.test('layer overlaps and lowerdir+= are accepted and refused as by the kernel', async (t) => {
  const d = layerDirs(t, 2, 'ovlkit-validate-');
  const [l1, l2] = d.lowers as [string, string];
  for (const p of [join(l1, 'sub'), join(l1, 'u2'), join(l1, 'w2'), join(d.upper, 'sub'), join(d.work, 'sub')]) mkdirSync(p);
  writeFileSync(join(l1, 'a'), 'a');
  writeFileSync(join(l2, 'b'), 'b');
  const { upper: u, work: w } = d;
  const cases: Array<[string, string, boolean]> = [
    ['two equal lowers', `lowerdir=${l1}:${l1}`, false],
    ['a lower below another', `lowerdir=${l1}:${l1}/sub`, false],
    ['a lower above another', `lowerdir=${l1}/sub:${l1}`, false],
    ['a lower repeated further down', `lowerdir=${l1}:${l2}:${l1}`, false],
    ['equal lowers with an upper', `lowerdir=${l1}:${l1},upperdir=${u},workdir=${w}`, false],
    ['a lower that is the upper', `lowerdir=${u},upperdir=${u},workdir=${w}`, false],
    ['a lower below the upper', `lowerdir=${u}/sub,upperdir=${u},workdir=${w}`, false],
    ['a lower below the workdir', `lowerdir=${w}/sub,upperdir=${u},workdir=${w}`, false],
    ['the upper inside a lower', `lowerdir=${l1},upperdir=${l1}/u2,workdir=${w}`, true],
    ['the workdir inside a lower', `lowerdir=${l1},upperdir=${u},workdir=${l1}/w2`, true],
    ['lowerdir+= twice', `lowerdir+=${l1},lowerdir+=${l2}`, true],
    ['lowerdir+= around the upper', `lowerdir+=${l1},upperdir=${u},workdir=${w},lowerdir+=${l2}`, true],
    ['lowerdir+= after lowerdir=', `lowerdir=${l1},lowerdir+=${l2}`, false],
    ['lowerdir+= after datadir+=', `datadir+=${l2},lowerdir+=${l1}`, false],
    ['lowerdir+= of one layer twice', `lowerdir+=${l1},lowerdir+=${l1}`, false],
  ];
  for (const [name, opts, accepted] of cases) {
    const kernel = await execa('mount', ['-t', 'overlay', 'overlay', '-o', opts, d.merged], { reject: false });
    if (kernel.exitCode === 0) await umountSurely(d.merged);
    t.equal(kernel.exitCode === 0, accepted, `${name}: the kernel ${accepted ? 'mounts' : 'refuses'} it`);
    const fuse = await run(['-o', opts, d.merged]);
    if (isMounted(d.merged)) await umountSurely(d.merged);
    if (accepted) t.equal(fuse.exitCode, 0, `${name}: ovl-fuse mounts it (${fuse.stderr})`);
    else {
      t.equal(fuse.exitCode, 2, `${name}: ovl-fuse refuses it, exit 2 (${fuse.stderr})`);
      t.equal(fuse.stderr.trim().split('\n').length, 1, `${name}: one line`);
    }
    // A mount makes work/ (and the kernel index/ too): each case starts clean.
    for (const dir of [w, join(l1, 'w2')]) for (const sub of ['work', 'index']) rmSync(join(dir, sub), { recursive: true, force: true });
  }
});

t.test('a workdir on a bind mount of the upper filesystem is refused, as by the kernel', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-validate-');
  const bind = join(d.root, 'bind');
  mkdirSync(bind);
  await execa('mount', ['--bind', d.work, bind]);
  t.teardown(() => umountSurely(bind));
  await refusedByBoth(t, d.merged, `lowerdir=${d.lowers[0]},upperdir=${d.upper},workdir=${bind}`, /workdir and upperdir must reside under the same mount/);
});

t.test('layers reached through bind mounts are the same dirs, as the kernel compares them', async (t) => {
  const d = layerDirs(t, 2, 'ovlkit-validate-');
  const [l1, l2] = d.lowers as [string, string];
  for (const p of [join(l1, 'sub'), join(d.upper, 'sub')]) mkdirSync(p);
  const { upper: u, work: w } = d;
  // A bind mount of each: the kernel's traps are on dentries, which a bind mount shares.
  const bind = async (name: string, of: string) => {
    const at = join(d.root, name);
    mkdirSync(at);
    d.track(at);
    await execa('mount', ['--bind', of, at]);
    return at;
  };
  const [ub, wb, l1b, usb] = [await bind('ub', u), await bind('wb', w), await bind('l1b', l1), await bind('usb', join(u, 'sub'))];
  const cases: Array<[string, string, RegExp | null]> = [
    ['a lower that is the upper', `lowerdir=${l2}:${ub},upperdir=${u},workdir=${w}`, /conflicting lowerdir path \(upperdir /],
    ['a lower that is the workdir', `lowerdir=${wb},upperdir=${u},workdir=${w}`, /conflicting lowerdir path \(workdir /],
    ['two equal lowers', `lowerdir=${l1}:${l1b}`, /conflicting lowerdir path \(lowerdir /],
    ['a lower below the upper', `lowerdir=${usb},upperdir=${u},workdir=${w}`, /overlapping lowerdir path \(upperdir /],
    ['a lower below another', `lowerdir=${l1b}/sub:${l1}`, /overlapping lowerdir path \(lowerdir /],
    ['another lower beside it', `lowerdir=${l1b}:${l2}`, null],
  ];
  for (const [name, opts, refusal] of cases) {
    await t.test(name, async (t) => {
      if (refusal !== null) return refusedByBoth(t, d.merged, opts, refusal);
      const kernel = await execa('mount', ['-t', 'overlay', 'overlay', '-o', opts, d.merged], { reject: false });
      if (kernel.exitCode === 0) await umountSurely(d.merged);
      t.equal(kernel.exitCode, 0, 'the kernel mounts it');
      const fuse = await run(['-o', opts, d.merged]);
      if (isMounted(d.merged)) await umountSurely(d.merged);
      t.equal(fuse.exitCode, 0, `ovl-fuse mounts it (${fuse.stderr})`);
    });
  }
});

// mount(8)'s own options in the string (a review found `nosuid`, `nodev`, `noexec`, `defaults`
// and `relatime`, all of which `mount -t overlay` takes, refused as unknown).
t.test('nosuid, nodev, noexec, nosymfollow and defaults apply to the mount on both transports, as mount -t overlay does', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-vfsflags-');
  writeFileSync(join(d.lowers[0]!, 'run.sh'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
  symlinkSync('run.sh', join(d.lowers[0]!, 'link'));
  const base = `lowerdir=${d.lowers[0]},upperdir=${d.upper},workdir=${d.work}`;
  const flagsOf = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === d.merged)?.split(' ')[5]?.split(',').sort().join(',');
  const seen: Record<string, string[]> = {};
  for (const target of ['kernel', 'dev', 'fuse-native'] as const) {
    for (const opts of ['nosuid,nodev,noexec', 'noexec,exec,relatime,async', 'nosuid,defaults', 'nosymfollow', 'nosymfollow,symfollow']) {
      if (target === 'kernel') await execa('mount', ['-t', 'overlay', 'overlay', '-o', `${base},${opts}`, d.merged]);
      else {
        const r = await run(['-o', `${base},${opts}${target === 'fuse-native' ? ',transport=fuse-native' : ''}`, d.merged]);
        t.equal(r.exitCode, 0, `${target} ${opts}: ${r.stderr}`);
      }
      const exec = await execa(join(d.merged, 'run.sh'), [], { reject: false });
      const follow = await execa('cat', [join(d.merged, 'link')], { reject: false });
      const link = readlinkSync(join(d.merged, 'link'));
      (seen[target] ??= []).push(`${opts}: ${flagsOf()} exec=${exec.exitCode === 0 ? 'ok' : 'refused'} follow=${follow.exitCode === 0 ? 'ok' : follow.stderr.replace(/^.*: /, '')} readlink=${link}`);
      await umountSurely(d.merged);
      rmSync(join(d.work, 'work'), { recursive: true, force: true });
    }
  }
  t.same(seen.dev, seen.kernel, 'the /dev/fuse transport');
  t.same(seen['fuse-native'], seen.kernel, 'fuse-native');
  t.match(seen.kernel![0], /nodev,noexec,nosuid,.* exec=refused follow=ok/, 'the flags took effect on the kernel');
  t.match(seen.kernel![3], /nosymfollow.* follow=Too many levels of symbolic links readlink=run.sh$/, 'nosymfollow on the kernel: ELOOP, readlink still reads');
});

t.test('atime and sync flags are refused: the layers own those', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-vfsflags-');
  for (const opt of ['noatime', 'strictatime', 'sync', 'dirsync', 'lazytime', 'nodiratime']) {
    const r = await run(['-o', `lowerdir=${d.lowers[0]},upperdir=${d.upper},workdir=${d.work},${opt}`, d.merged]);
    t.equal(r.exitCode, 2, `${opt}: exit 2`);
    t.equal(r.stderr.trim().split('\n').length, 1, `${opt}: one line`);
    t.notOk(isMounted(d.merged));
  }
});

// Found 2026-12-06 trying ovl-fuse inside a container's own kernel overlay: ovl-fuse mounted an
// upper inside one and then failed every copy-up and removal with EOPNOTSUPP.
t.test('an upper on a kernel overlay mount is refused, as by the kernel, before anything is created', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-validate-');
  const k = kernelOverlayAt(d);
  for (const p of ['u', 'wk']) mkdirSync(join(k, p));
  const opts = `lowerdir=${d.lowers[0]},upperdir=${join(k, 'u')},workdir=${join(k, 'wk')}`;
  await refusedByBoth(t, d.merged, opts, /^ovl-fuse: upperdir .*\/k\/u: filesystem not supported as upperdir \(an overlayfs mount\)$/);
  t.same(readdirSync(join(k, 'wk')), [], 'no work/ made');
});

t.test('a workdir alone on a kernel overlay mount is refused in the kernel\'s words (ovl_mount_dir_check)', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-validate-');
  const k = kernelOverlayAt(d);
  mkdirSync(join(k, 'wk'));
  const opts = `lowerdir=${d.lowers[0]},upperdir=${d.upper},workdir=${join(k, 'wk')}`;
  await refusedByBoth(t, d.merged, opts, /^ovl-fuse: workdir .*\/k\/wk: filesystem not supported as upperdir \(an overlayfs mount\)$/);
  t.same(readdirSync(join(k, 'wk')), [], 'no work/ made');
});

// A review found ovl-fuse mounting an upper on another FUSE overlay, then failing chmods and
// removals one by one; the kernel refuses a remote upper (FUSE, NFS…) that lacks d_type,
// RENAME_WHITEOUT or the overlay's xattrs (ovl_make_workdir).
t.test('an upper on a FUSE mount without RENAME_WHITEOUT (another ovl-fuse) is refused, as by the kernel', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-validate-');
  const [il, iu, iw, inner] = ['il', 'iu', 'iw', 'inner'].map((n) => join(d.root, n)) as [string, string, string, string];
  for (const p of [il, iu, iw, inner]) mkdirSync(p);
  const mounted = await run(['-o', `lowerdir=${il},upperdir=${iu},workdir=${iw}`, inner]);
  t.equal(mounted.exitCode, 0, mounted.stderr);
  d.track(inner);
  for (const p of ['u', 'w']) mkdirSync(join(inner, p));
  const opts = `lowerdir=${d.lowers[0]},upperdir=${join(inner, 'u')},workdir=${join(inner, 'w')}`;
  await refusedByBoth(t, d.merged, opts, /^ovl-fuse: upperdir .*\/inner\/u: a remote upper filesystem without RENAME_WHITEOUT: the kernel refuses it \(upper fs missing required features\)$/);
  t.same(readdirSync(join(inner, 'w', 'work')), [], 'no probe left in work/');
});

// ramfs stores no xattrs. The kernel mounts it as an upper with warnings, turning off what needs
// them; ovl-fuse has no such mode and went on to fail at its first getxattr, exit 1.
t.test('an upper whose filesystem stores no overlay xattrs (ramfs) is refused with exit 2, one line, the workdir untouched', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-noxattr-');
  const ram = join(d.root, 'ram');
  mkdirSync(ram);
  await execa('mount', ['-t', 'ramfs', 'ramfs', ram]);
  d.track(ram);
  for (const sub of ['u', 'w']) mkdirSync(join(ram, sub));
  writeFileSync(join(d.lowers[0]!, 'a'), 'a');
  const opts = `lowerdir=${d.lowers[0]},upperdir=${ram}/u,workdir=${ram}/w`;
  const kernel = await execa('mount', ['-t', 'overlay', 'overlay', '-o', opts, d.merged], { reject: false });
  t.equal(kernel.exitCode, 0, 'the kernel mounts it');
  if (kernel.exitCode === 0) await umountSurely(d.merged);
  rmSync(join(ram, 'w', 'work'), { recursive: true, force: true });
  for (const transport of ['dev', 'fuse-native']) {
    const r = await run(['-o', `${opts},transport=${transport}`, d.merged]);
    if (isMounted(d.merged)) await umountSurely(d.merged);
    t.equal(r.exitCode, 2, `${transport}: exit 2`);
    t.match(r.stderr, new RegExp(`^ovl-fuse: upperdir ${ram}/u: its filesystem stores no trusted\\.overlay\\.\\* xattrs \\(EOPNOTSUPP\\)`), `${transport}: the reason, naming the upper`);
    t.equal(r.stderr.trim().split('\n').length, 1, `${transport}: one line`);
    t.same(readdirSync(join(ram, 'w')), [], `${transport}: nothing made in the workdir`);
    t.notOk(isMounted(d.merged), `${transport}: nothing mounted`);
  }
});
