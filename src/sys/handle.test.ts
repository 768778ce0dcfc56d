import { closeSync, lstatSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fileHandle, inodeOfHandle, openMountRef } from './handle.js';
import { umountSurely } from './mount.js';
import { mountTmpfs } from './tmpfs.js';

const root = mkdtempSync(join(tmpdir(), 'ovlkit-handle-'));
const tmpfs = join(root, 'tmpfs');
mkdirSync(tmpfs);
mountTmpfs(tmpfs, '8m');
t.teardown(async () => {
  await umountSurely(tmpfs);
  rmSync(root, { recursive: true, force: true });
});

// ext4 puts the inode first in its fid, tmpfs the generation: only the kernel decodes both.
for (const [fs, dir] of [
  ['the root filesystem', root],
  ['tmpfs', tmpfs],
] as const) {
  t.test(`a handle decodes back to its inode on ${fs}, and a deleted object to null`, async (t) => {
    const f = join(dir, 'f');
    writeFileSync(f, 'x');
    const fh = fileHandle(f);
    const ref = openMountRef(dir);
    t.teardown(() => closeSync(ref));
    t.equal(inodeOfHandle(ref, fh), lstatSync(f, { bigint: true }).ino);
    unlinkSync(f);
    t.equal(inodeOfHandle(ref, fh), null, 'ESTALE');
  });
}
