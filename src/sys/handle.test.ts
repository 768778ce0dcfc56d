import { closeSync, lstatSync, openSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fileHandle, inodeOfHandle, openMountRef } from './handle.js';
import { scratchFilesystems } from '../../test/helpers/scratch.js';

const { root, tmpfs } = scratchFilesystems(t, 'handle');

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

t.test('the handle of an open fd is that of its file', async (t) => {
  const f = join(root, 'byfd');
  writeFileSync(f, 'x');
  const fd = openSync(f, 'r');
  t.teardown(() => closeSync(fd));
  t.same(fileHandle(fd), fileHandle(f));
});

t.test('a handle the kernel refuses outright is an error, not a missing origin', async (t) => {
  const ref = openMountRef(root);
  t.teardown(() => closeSync(ref));
  // handle_bytes 0 is EINVAL before any filesystem looks at it: only ESTALE/EPERM mean "no object".
  t.throws(() => inodeOfHandle(ref, { type: 1, bytes: Buffer.alloc(0) }), { code: 'EINVAL' });
});
