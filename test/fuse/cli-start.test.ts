// ovl-fuse's start as a user sees it when something is wrong: the detached command reports what
// `-f` reports (same exit code, same one line), and workdir set-up problems the kernel's overlay
// copes with are no internal errors (a workdir where work/ cannot be made: workdir-read-only.test.ts).
import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { getXattr, isMounted } from '../../src/sys/index.js';
import { fuseOptions, mountFuse, ovlFuseBin } from '../helpers/fuse.js';
import { type Teardowns, layerDirs } from '../helpers/layers.js';

const run = (args: string[]) => execa(ovlFuseBin, args, { reject: false, env: { CI: '' } });

/** chattr `flag` on `path`, undone in teardown (before layerDirs removes the tree: teardowns run last first). */
function chattr(t: Teardowns, flag: string, path: string): void {
  execFileSync('chattr', [flag, path]);
  t.teardown(() => void execFileSync('chattr', [flag.replace('+', '-'), path]));
}

t.test('a control character in a bad path: detached and -f give the same exit and one line', async (t) => {
  const d = layerDirs(t, 1);
  const opts = `lowerdir=${join(d.root, 'nl\nmissing')}:${d.lowers[0]}`;
  const fg = await run(['-f', '-o', opts, d.merged]);
  const bg = await run(['-o', opts, d.merged]);
  t.equal(fg.exitCode, 2, fg.stderr);
  t.equal(fg.stderr, `ovl-fuse: lowerdir ${d.root}/nl\\nmissing: no such directory`);
  t.same([bg.exitCode, bg.stderr], [fg.exitCode, fg.stderr], 'detached as -f');
  const viaNode = await execa(process.execPath, [ovlFuseBin, '-o', opts, d.merged], { reject: false });
  t.same([viaNode.exitCode, viaNode.stderr], [fg.exitCode, fg.stderr], 'detached by node as -f');
  t.notOk(isMounted(d.merged));
});

// Workdir set-up (fs/overlayfs/super.c ovl_make_workdir, checked on kernel 6.18).

t.test('workdir/work that is a regular file is replaced by the work dir, as the kernel does', async (t) => {
  const d = layerDirs(t, 1);
  writeFileSync(join(d.work, 'work'), 'left by someone');
  await mountFuse(t, d);
  const st = lstatSync(join(d.work, 'work'));
  t.ok(st.isDirectory(), 'a directory now');
  t.equal(st.mode & 0o7777, 0, 'mode 000');
  writeFileSync(join(d.merged, 'f'), 'x');
  t.equal(readFileSync(join(d.upper, 'f'), 'utf8'), 'x', 'writable');
});

t.test('an immutable upper: mounts without storing a uuid (the kernel falls back to uuid=null)', async (t) => {
  const d = layerDirs(t, 1);
  writeFileSync(join(d.lowers[0]!, 'f'), 'f');
  chattr(t, '+i', d.upper);
  await mountFuse(t, d);
  t.same(readdirSync(d.merged), ['f']);
  t.equal(getXattr(d.upper, 'trusted.overlay.uuid'), null);
});
