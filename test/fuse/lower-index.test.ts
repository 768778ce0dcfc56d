// The lower index on a mounted 500-lower stack (the /dev/fuse transport with its layer watcher):
// every name of a dir spread over all 500 lowers is looked up (which builds the dir's index), then
// another process changes lowers in the middle of the stack — a new name, a whiteout over a file
// below it, a deletion, a dir made opaque — and each change shows through the mount within one
// event round, as without the index. Every mount is unmounted in teardown.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { OPAQUE_YES, OverlayXattrs, parseMountOptions, resolveMountOptions } from '../../src/format/index.js';
import { prepareWorkdir } from '../../src/fuse/workdir.js';
import { mountDev } from '../../src/fuse/session/daemon.js';
import { isMounted, umountSurely } from '../../src/sys/index.js';
import { becomes } from '../helpers/watch-stack.js';

const factory = new URL('../../src/fuse/watch-start.ts', import.meta.url).href;
// Modes arrive with the caller's umask applied; the worker refuses to start otherwise.
process.umask(0);
const L = 500;
const FILES = 1000;

/** d/ in every lower; f<k> in lower k % L; sub/ in lowers 150..350 (s<i> in each); hid in 300, gone in 400. */
function populate(lowers: string[]): void {
  lowers.forEach((l) => mkdirSync(join(l, 'd'), { recursive: true }));
  for (let k = 0; k < FILES; k++) writeFileSync(join(lowers[k % L]!, 'd', `f${k}`), `${k}`);
  for (let i = 150; i <= 350; i++) {
    mkdirSync(join(lowers[i]!, 'd', 'sub'));
    writeFileSync(join(lowers[i]!, 'd', 'sub', `s${i}`), '');
  }
  writeFileSync(join(lowers[300]!, 'd', 'hid'), 'below a whiteout soon');
  writeFileSync(join(lowers[400]!, 'd', 'gone'), 'deleted soon');
}

t.test('lower changes in the middle of 500 lowers show through an indexed dir', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-lidx-mount-'));
  const lowers = Array.from({ length: L }, (_, i) => join(root, 'l', String(i)));
  populate(lowers);
  const [merged, upper, work] = ['m', 'u', 'w'].map((d) => join(root, d)) as [string, string, string];
  for (const d of [merged, upper, work]) mkdirSync(d);
  const cfg = resolveMountOptions({ ...parseMountOptions(`lowerdir=${lowers.join(':')},upperdir=${upper},workdir=${work}`), extra: {} });
  prepareWorkdir(work);
  const m = await mountDev(merged, { readonly: false, fs: { module: factory, export: 'createWatchedOverlayFs', args: [cfg, 'auto', 'on'] } });
  t.teardown(async () => {
    if (isMounted(merged)) await umountSurely(merged);
    await m.closed;
    rmSync(root, { recursive: true, force: true });
  });
  const d = join(merged, 'd');
  const subNames = () => readdirSync(join(d, 'sub')).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  // Warm: every name looked up by path (the index is built on the way), the rest seen once.
  let found = 0;
  for (let k = 0; k < FILES; k++) if (readFileSync(join(d, `f${k}`), 'utf8') === `${k}`) found++;
  t.equal(found, FILES, 'every file, from its own lower');
  t.equal(subNames().length, 201, 'sub merges its 201 lower copies');
  t.ok(existsSync(join(d, 'hid')) && existsSync(join(d, 'gone')) && !existsSync(join(d, 'late')));

  const opaque = new OverlayXattrs(false).name('opaque');
  execFileSync('sh', ['-c', [
    'echo late > l/250/d/late',
    'mknod l/100/d/hid c 0 0',
    'rm l/400/d/gone',
    `setfattr -n ${opaque} -v ${OPAQUE_YES} l/200/d/sub`,
  ].join(' && ')], { cwd: root });

  t.ok(await becomes(() => readFileSync(join(d, 'late'), 'utf8') === 'late\n'), 'a new name in lower 250 shows');
  t.ok(await becomes(() => !existsSync(join(d, 'hid'))), 'a whiteout in lower 100 hides the file in lower 300');
  t.ok(await becomes(() => !existsSync(join(d, 'gone'))), 'a file deleted from lower 400 is gone');
  t.ok(await becomes(() => subNames().length === 51 && subNames()[50] === 's200'), 'sub made opaque in lower 200 merges 150..200 only');
  t.equal(statSync(join(d, 'f499')).size, 3, 'the other names are still found');
  t.same(readdirSync(d).filter((n) => !n.startsWith('f')).sort(), ['late', 'sub']);
});
