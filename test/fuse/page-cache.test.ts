// The page cache of a lower file next to kernel overlayfs. ovl-fuse keeps a file's pages across
// opens (FOPEN_KEEP_CACHE while mtime and size are those of the previous open) and keeps a lower
// hard link's attributes for a while (no GETATTR per read): neither may ever show old data after
// a copy-up. Each scenario warms the pages first (two whole reads, the second one a kept-cache
// open), then copies the file up and writes through another fd, and reads through the old fd, an
// old read-only mapping and a new open, as the kernel shows them.
import { execFileSync } from 'node:child_process';
import { linkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { sameOnBoth } from '../helpers/twin.js';

// 256 KiB: many pages, so a stale page in the middle would show.
const SIZE = 256 * 1024;
const OFFSETS = [0, 4096, 200_000];

const PY = `
import json, mmap, os, sys
p, mode = sys.argv[1], sys.argv[2]
offs = [${OFFSETS.join(', ')}]
def whole(path):
    with open(path, 'rb') as f:
        return f.read()
def marks(b):
    return [b[o:o + 3].decode() for o in offs] + [len(b)]
out = {'warm': marks(whole(p)), 'kept': marks(whole(p))}
st = os.stat(p)
fd1 = mm = None
if mode != 'closed':
    fd1 = os.open(p, os.O_RDONLY)
    mm = mmap.mmap(fd1, 0, prot=mmap.PROT_READ)
    out['mapBefore'] = marks(mm[:])
fd2 = os.open(p, os.O_RDWR)
for o in offs:
    os.pwrite(fd2, b'NEW', o)
if mode == 'closed':
    os.close(fd2)
    # Same size, and the mtime put back: only the data says the file changed.
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
else:
    out['oldFd'] = marks(os.pread(fd1, ${SIZE}, 0))
    # Not compared: the kernel's mapping keeps the lower's pages, ovl-fuse's shows the new data
    # (docs/fuse.md, overlay features); either way no stale page reaches a read.
    mm[:]
    out['newOpen'] = marks(whole(p))
    os.close(fd2)
    out['oldFdAfterClose'] = marks(os.pread(fd1, ${SIZE}, 0))
    mm.close()
    os.close(fd1)
out['reopened'] = marks(whole(p))
fd3 = os.open(p, os.O_RDONLY)
m3 = mmap.mmap(fd3, 0, prot=mmap.PROT_READ)
out['newMap'] = marks(m3[:])
m3.close()
os.close(fd3)
print(json.dumps(out))
`;

function run(file: string, mode: 'open' | 'closed'): Record<string, unknown> {
  return JSON.parse(execFileSync('python3', ['-c', PY, file, mode], { encoding: 'utf8', timeout: 30_000 })) as Record<string, unknown>;
}

function lowerFile(dir: string): void {
  writeFileSync(join(dir, 'f'), Buffer.alloc(SIZE, 'o'));
}

await sameOnBoth(t, 'an fd and a mapping opened on a lower file read the copy-up\'s writes through the page cache', {
  lowers: 1,
  setup: (d) => lowerFile(d.lowers[0]!),
  steps: (m) => run(join(m, 'f'), 'open'),
});

await sameOnBoth(t, 'a lower hard link: its old fd and mapping read the new data, the other name keeps the old', {
  lowers: 1,
  setup(d) {
    lowerFile(d.lowers[0]!);
    linkSync(join(d.lowers[0]!, 'f'), join(d.lowers[0]!, 'g'));
  },
  steps(m) {
    const seen = run(join(m, 'f'), 'open');
    const other = execFileSync('python3', ['-c', 'import sys; b = open(sys.argv[1], "rb").read(); print(b[:3].decode(), len(b))', join(m, 'g')], { encoding: 'utf8' });
    return { ...seen, other: other.trim() };
  },
});

// The writer's open passes through to the upper copy: the kernel drops the node's pages at that
// open (no FOPEN_KEEP_CACHE), and none come back while it writes past them.
await sameOnBoth(t, 'cached pages of a lower file are dropped after a copy-up written with no other open, mtime put back', {
  lowers: 1,
  setup: (d) => lowerFile(d.lowers[0]!),
  steps: (m) => run(join(m, 'f'), 'closed'),
});
