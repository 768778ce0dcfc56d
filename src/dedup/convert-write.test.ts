// A convert that cannot read a source file fails as ovl-dedup's other errors do: one line naming
// the file and the errno, exit 1 (copyFileNoatime threw node's own error, which the CLI printed
// as an internal error).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { OvlError } from '../errors.js';
import { exitCodeFor } from '../cli/run.js';
import { writeDiff } from './convert-write.js';
import type { Entry } from './types.js';

const entry = (path: string, type: Entry['type']): Entry => ({
  path, type, perm: 0o644, uid: 0, gid: 0, size: 1, blocks: 8, inode: `1:${path}`, id: 1, nlink: 1,
  mtimeNs: 0n, atimeNs: 0n, rdev: 0, target: '', xattrs: [],
});

t.test('a source file gone before the copy: an OvlError naming it, printed as one line, exit 1', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-convert-write-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const [src, dest] = [join(root, 'src'), join(root, 'dest')];
  mkdirSync(src);
  mkdirSync(dest);
  const err = t.throws(() => writeDiff(dest, src, entry('', 'dir'), [{ path: 'gone', whiteout: false, entry: entry('gone', 'file'), opaque: false, reason: 'added' }]));
  t.ok(err instanceof OvlError);
  t.match(err, { code: 'ENOENT', errno: 2, path: join(src, 'gone') });
  const said: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => said.push(s) > 0) as typeof process.stderr.write;
  try {
    t.equal(exitCodeFor(err, 'ovl-dedup'), 1);
  } finally {
    process.stderr.write = write;
  }
  t.same(said, [`ovl-dedup: ${join(src, 'gone')}: open failed: ENOENT\n`]);
});
