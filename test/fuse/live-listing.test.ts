// Names removed while a reader is in the middle of a listing, side by side with the kernel's
// overlay. The kernel reads a dir it does not merge (only in the upper) straight from the real dir
// as the reader goes, so a name removed beyond the reader's place is not read (ext4 keeps a few it
// had already read ahead); a merged dir's reader keeps the listing its open took, removed names
// included. ovl-fuse read every listing as taken at its first READDIR, so it went on listing names
// removed from an upper-only dir (2,000 of 2,000 in a review's repro, 2026-12-07), and the kernel's
// FUSE client went on serving them from its cached listing. Each case reads one getdents64 batch
// of 4 KiB, removes every file it has not read, then reads to the end.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { LayerDirs } from '../helpers/layers.js';
import { sameOnBoth } from '../helpers/twin.js';

const FILES = 600;

/** Dir `d` in the upper with FILES empty files (merged when a lower has a `d` too). */
function upperOnlyDir(d: LayerDirs): void {
  mkdirSync(join(d.upper, 'd'));
  for (let i = 0; i < FILES; i++) writeFileSync(join(d.upper, 'd', `f${i}`), '');
}

/** Prints JSON: names read in the first batch, names removed, and how many of those were read after. */
const READER = `
import ctypes, json, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
def batch(fd):
    buf = ctypes.create_string_buffer(4096)
    n = libc.syscall(217, fd, buf, 4096)
    if n < 0: raise OSError(ctypes.get_errno(), 'getdents64')
    out, o, raw = [], 0, buf.raw
    while o < n:
        reclen = struct.unpack_from('<H', raw, o + 16)[0]
        out.append(raw[o + 19:o + reclen].split(b'\\0', 1)[0].decode())
        o += reclen
    return out
d, listed_before = sys.argv[1], sys.argv[2] == 'yes'
if listed_before: os.listdir(d)
fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
first = batch(fd)
gone = [n for n in os.listdir(d) if n not in first and n.startswith('f')]
for n in gone: os.unlink(os.path.join(d, n))
rest = []
while True:
    b = batch(fd)
    if not b: break
    rest += b
# The first batch's size is the FUSE client's, not the kernel overlay's: the tree after must not tell.
for n in os.listdir(d): os.unlink(os.path.join(d, n))
print(json.dumps({'first': len(first), 'gone': len(gone), 'goneRead': len(set(rest) & set(gone))}))
`;

interface Read {
  first: number;
  gone: number;
  goneRead: number;
}

function readWhileRemoving(dir: string, listedBefore: boolean): Read {
  return JSON.parse(execFileSync('python3', ['-c', READER, dir, listedBefore ? 'yes' : 'no'], { encoding: 'utf8' })) as Read;
}

/** What must match: whether the reader went on reading the removed names (all but a few, or none but a few). */
function verdict(r: Read): unknown {
  if (r.first === 0 || r.gone < FILES / 2) return `setup: ${JSON.stringify(r)}`;
  return r.goneRead > r.gone / 10 ? 'removed names read on' : 'removed names not read';
}

for (const listedBefore of [false, true]) {
  const when = listedBefore ? 'after a full listing' : 'on a first listing';
  await sameOnBoth(t, `an upper-only dir is read live ${when}: removed names are not read on`, {
    lowers: 1,
    setup: upperOnlyDir,
    steps(m) {
      const r = readWhileRemoving(join(m, 'd'), listedBefore);
      return { read: verdict(r) };
    },
  });

  await sameOnBoth(t, `a merged dir keeps the listing its reader started ${when}`, {
    lowers: 1,
    setup(d) {
      mkdirSync(join(d.lowers[0]!, 'd'));
      writeFileSync(join(d.lowers[0]!, 'd', 'lowerfile'), '');
      upperOnlyDir(d);
    },
    steps(m) {
      const r = readWhileRemoving(join(m, 'd'), listedBefore);
      return { read: verdict(r) };
    },
  });
}

/** getdents64 helpers for the cases below: batches of (name, d_type). */
const GETDENTS = `
import ctypes, os, struct, sys, time, shutil
libc = ctypes.CDLL(None, use_errno=True)
def batch(fd):
    buf = ctypes.create_string_buffer(4096)
    n = libc.syscall(217, fd, buf, 4096)
    if n < 0: raise OSError(ctypes.get_errno(), 'getdents64')
    out, o, raw = [], 0, buf.raw
    while o < n:
        reclen = struct.unpack_from('<H', raw, o + 16)[0]
        out.append((raw[o + 19:o + reclen].split(b'\\0', 1)[0].decode(), raw[o + 18]))
        o += reclen
    return out
def rest(fd):
    out = []
    while True:
        b = batch(fd)
        if not b: return out
        out += b
`;

// A review: the drop of the kernel's cached listing was handed over without a wait, and a getdents
// right after the unlink read the removed name from the old listing 6-16 % of the time.
const RACE = GETDENTS + `
d = sys.argv[1]
seen = 0
for i in range(150):
    names = os.listdir(d)
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    first = {n for n, _ in batch(fd)}
    victim = [n for n in names if n not in first][-1]
    os.unlink(os.path.join(d, victim))
    seen += victim in {n for n, _ in rest(fd)}
    os.close(fd)
    open(os.path.join(d, victim), 'w').close()
print(seen)
`;

await sameOnBoth(t, 'a name removed right after a cached listing was started is not read on', {
  lowers: 1,
  setup: upperOnlyDir,
  steps(m) {
    return { removedRead: execFileSync('python3', ['-c', RACE, join(m, 'd')], { encoding: 'utf8' }).trim() };
  },
});

// A name removed and made again as a symlink shows as one (find and fts trust d_type).
const RETYPED = GETDENTS + `
d = sys.argv[1]
fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
first = {n for n, _ in batch(fd)}
for n in os.listdir(d):
    if n not in first: os.unlink(os.path.join(d, n)); os.symlink('t', os.path.join(d, n))
later = [t for n, t in rest(fd) if n.startswith('f')]
print(len(later) > 0 and sum(t == 10 for t in later) >= len(later) - 1)
for n in os.listdir(d): os.unlink(os.path.join(d, n))
`;

await sameOnBoth(t, 'a name made anew as another type shows its new d_type to a reader in the middle', {
  lowers: 1,
  setup: upperOnlyDir,
  steps(m) {
    return { symlinks: execFileSync('python3', ['-c', RETYPED, join(m, 'd')], { encoding: 'utf8' }).trim() };
  },
});

// The dir removed behind the mount (the layer watcher's event): the kernel's getdents of its real
// dir fails ENOENT; ovl-fuse went on with the 432 names its listing had (a review).
const GONE = GETDENTS + `
d, real = sys.argv[1], sys.argv[2]
os.listdir(d)
fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
batch(fd)
shutil.rmtree(real)
time.sleep(1)
try:
    print(len(rest(fd)))
except OSError as e:
    print(os.strerror(e.errno))
`;

await sameOnBoth(t, 'a dir removed behind the mount while read: ENOENT, not its old names', {
  lowers: 1,
  setup: upperOnlyDir,
  steps(m, d) {
    const out = execFileSync('python3', ['-c', GONE, join(m, 'd'), join(d.upper, 'd')], { encoding: 'utf8' }).trim();
    // The tree after: the dir is gone from the upper on both.
    return { rest: out };
  },
});
