// `ovl-fuse -o transport=…` as a user runs it (built CLI): a bad value is one line and exit 2;
// the dev transport's detaching command returns with the mount live, the daemon it hands the
// /dev/fuse fd to serves it, and `ovl-fuse umount`, an external umount and SIGTERM each end the
// daemon with nothing left mounted.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { isMounted, listMounts } from '../../src/sys/index.js';
import { fuseOptions, ovlFuseBin, startFuse } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';

const run = (args: string[]) => execa(ovlFuseBin, args, { reject: false, env: { CI: '' } });

async function daemons(merged: string): Promise<string[]> {
  const r = await execa('pgrep', ['-f', `ovl-fuse -f .* ${merged}$`], { reject: false });
  return r.stdout.split('\n').filter(Boolean);
}

async function waitGone(merged: string): Promise<void> {
  for (let i = 0; i < 400 && (await daemons(merged)).length > 0; i++) await new Promise((r) => setTimeout(r, 25));
}

t.test('an unknown transport is one line and exit 2, nothing mounted', async (t) => {
  const d = layerDirs(t, 1);
  const r = await run(['-o', fuseOptions(d, 'transport=carrier-pigeon'), d.merged]);
  t.equal(r.exitCode, 2);
  t.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.match(r.stderr, /transport=carrier-pigeon: expected one of dev, fuse-native/);
  t.notOk(isMounted(d.merged));
});

t.test('transport=dev: live when the command returns; ovl-fuse umount ends the daemon', async (t) => {
  const d = layerDirs(t, 1);
  writeFileSync(join(d.lowers[0]!, 'f'), 'lower');
  t.teardown(() => waitGone(d.merged));
  const r = await run(['-o', fuseOptions(d, 'transport=dev'), d.merged]);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(listMounts().find((e) => e.target === d.merged)?.fstype, 'fuse.ovl-fuse', 'mounted when the command returns');
  t.same(readdirSync(d.merged), ['f']);
  writeFileSync(join(d.merged, 'f'), 'upper');
  t.equal(readFileSync(join(d.upper, 'f'), 'utf8'), 'upper', 'copied up through the dev transport');
  t.equal((await daemons(d.merged)).length, 1);
  const u = await run(['umount', d.merged]);
  t.equal(u.exitCode, 0, u.stderr);
  await waitGone(d.merged);
  t.same(await daemons(d.merged), [], 'daemon exited');
  t.notOk(isMounted(d.merged));
});

t.test('transport=dev: an external umount ends the foreground daemon with exit 0', async (t) => {
  const d = layerDirs(t, 1);
  const m = await startFuse(t, fuseOptions(d, 'transport=dev'), d.merged);
  t.same(readdirSync(d.merged), []);
  execFileSync('umount', [d.merged]);
  t.equal(await m.exited, 0);
  t.notOk(isMounted(d.merged));
});

t.test('transport=dev: SIGTERM unmounts and exits 0', async (t) => {
  const d = layerDirs(t, 1);
  const m = await startFuse(t, fuseOptions(d, 'transport=dev'), d.merged);
  t.same(readdirSync(d.merged), []);
  m.child.kill('SIGTERM');
  t.equal(await m.exited, 0);
  t.notOk(isMounted(d.merged));
});
