// link(2) of a file while another process keeps opening it. The kernel's FUSE client can count an
// UNLINK twice: a GETATTR another client sends between the daemon's UNLINK reply and the unlinking
// thread's turn brings the new link count, and the thread then takes one off it locally
// (fuse_entry_unlinked). For a file back to one name that is 0, and vfs_link refuses every
// link(2) of it ENOENT without asking while the kernel trusts the count. A review (2026-12-07)
// saw 20,000-70,000 such failures in 2.5 s of `link(name, name2); unlink(name2)` beside an
// opener (the kernel's overlay: none; fuse-overlayfs drifts too). The daemon now gives such a
// file no attribute timeout until the remover's next request, so the next permission check mends it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { mountFuse } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';
import { opLoop } from '../helpers/op-loop.js';

// The second name goes by unlink(2), or by a rename(2) over it (fuse_rename_common drops the
// replaced inode's count the same way).
const CASES = [
  { where: 'upper', by: 'unlink' },
  { where: 'lower', by: 'unlink' },
  { where: 'upper', by: 'rename over it' },
] as const;

for (const { where, by } of CASES) {
  t.test(`link of ${where === 'upper' ? 'an upper' : 'a lower'} file, its second name gone by ${by}, beside an opener: nothing fails`, async (t) => {
    const d = layerDirs(t);
    writeFileSync(join(where === 'upper' ? d.upper : d.lowers[0]!, 'name'), 'x');
    await mountFuse(t, d);
    const name = JSON.stringify(join(d.merged, 'name'));
    const name2 = JSON.stringify(join(d.merged, 'name2'));
    const tmp = JSON.stringify(join(d.merged, 'tmp'));
    const remove = by === 'unlink' ? `fs.unlinkSync(${name2})` : `fs.writeFileSync(${tmp}, 't'); fs.renameSync(${tmp}, ${name2}); fs.unlinkSync(${name2})`;
    const [linker, opener] = await Promise.all([
      opLoop(`fs.linkSync(${name}, ${name2}); ${remove}`, 1500),
      opLoop(`fs.closeSync(fs.openSync(${name}, 'r'))`, 1500),
    ]);
    t.ok(linker.ok! > 100 && opener.ok! > 100, `${linker.ok} links, ${opener.ok} opens`);
    t.same(linker, { ok: linker.ok }, 'every link and unlink succeeded');
    t.same(opener, { ok: opener.ok }, 'every open succeeded');
  });
}
