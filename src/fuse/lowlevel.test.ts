// The node-based filesystem called as the session loop calls it, on real layer dirs (no mount):
// lookup counts, entries and attributes, copy-up-follow, unlinked-but-open files, subtree renames,
// readdir cookies, ownership from the request, and the invalidations the kernel is sent.
import { chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveMountOptions } from '../format/index.js';
import t, { type Test } from 'tap';
import { constants } from 'node:fs';
import { createOverlayFs, type OverlayFs } from './lowlevel.js';
import type { CacheMode } from './overlay.js';
import { FUSE_WRITE_KILL_SUIDGID, InitFlag } from './protocol/constants.js';
import { FOPEN_NOFLUSH, FOPEN_PASSTHROUGH, type RequestContext, type Session } from './session/filesystem.js';
import { syscallsDuring } from '../../test/helpers/strace.js';

const ctx: RequestContext = { uid: 0, gid: 0, pid: 1 };
const ROOT = 1;

interface Fixture {
  fs: OverlayFs;
  lower: string;
  upper: string;
  notes: string[];
}

function fixture(t: Test, cache: CacheMode = 'auto', build?: (lower: string, upper: string) => void, extra: Partial<Session> = {}): Fixture {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-ll-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const [lower, upper, work] = ['lower', 'upper', 'work'].map((n) => join(root, n)) as [string, string, string];
  for (const d of [lower, upper, work, join(work, 'work')]) mkdirSync(d);
  build?.(lower, upper);
  const fs = createOverlayFs(resolveMountOptions({ lowerdirs: [lower], datadirs: [], upperdir: upper, workdir: work, extra: {} }), cache);
  const notes: string[] = [];
  const session: Session = {
    invalInode: (id, off = 0, len = 0) => void notes.push(`inode ${id} ${off} ${len}`),
    invalEntry: (parent, name) => void notes.push(`entry ${parent} ${name}`),
    backingOpen: () => null,
    backingClose() {},
    watchFd() {},
    grantedFlags: 0n,
    ...extra,
  };
  fs.init(session);
  t.teardown(() => fs.destroy());
  return { fs, lower, upper, notes };
}

t.test('lookup counts: the same name is one node, and every count given back leaves the root', async (t) => {
  const { fs, lower } = fixture(t, 'auto', (l) => {
    mkdirSync(join(l, 'd'));
    writeFileSync(join(l, 'd/f'), 'x');
  });
  const d = fs.lookup(ctx, ROOT, 'd');
  const f1 = fs.lookup(ctx, d.nodeid, 'f');
  const f2 = fs.lookup(ctx, d.nodeid, 'f');
  t.equal(f1.nodeid, f2.nodeid);
  t.equal(f1.attr.ino, lstatSync(join(lower, 'd/f')).ino, 'st_ino of the lower file');
  t.equal(fs.lookup(ctx, d.nodeid, 'nope').nodeid, 0, 'negative entry');
  t.equal(f1.attrValidMs, 0, 'cache=auto without a watcher: file attributes are not kept');
  t.equal(d.attrValidMs, 60_000, 'dir attributes are');
  fs.forget(f1.nodeid, 2);
  t.equal(fs.nodeCount, 2, 'the dir is still held');
  fs.forget(d.nodeid, 1);
  t.equal(fs.nodeCount, 1, 'back to the root');
});

t.test('create, write, read; new objects belong to the caller', async (t) => {
  const { fs, upper } = fixture(t);
  const user = { uid: 1234, gid: 567, pid: 2 };
  const { entry, opened } = fs.create(user, ROOT, 'new', 0o100666, constants.O_RDWR, 0o022);
  t.equal(entry.attr.mode & 0o777, 0o644, 'umask applied');
  t.equal(entry.attr.uid, 1234);
  t.equal(entry.attr.gid, 567);
  t.equal(fs.write(user, entry.nodeid, opened.fh, 0, Buffer.from('hello'), 0), 5);
  const buf = Buffer.alloc(16);
  t.equal(fs.read(user, entry.nodeid, opened.fh, 1, 16, buf), 4);
  t.equal(buf.subarray(0, 4).toString(), 'ello');
  fs.release(user, entry.nodeid, opened.fh, 0);
  t.equal(readFileSync(join(upper, 'new'), 'utf8'), 'hello');
  const dir = fs.mkdir(user, ROOT, 'sub', 0o40777, 0o022);
  t.equal(dir.attr.uid, 1234);
  t.equal(dir.attr.mode & 0o777, 0o755);
});

t.test('a read-only fd opened before a copy-up reads the copied-up data', async (t) => {
  const { fs } = fixture(t, 'auto', (l) => writeFileSync(join(l, 'f'), 'old'));
  const f = fs.lookup(ctx, ROOT, 'f');
  const ro = fs.open(ctx, f.nodeid, constants.O_RDONLY);
  const rw = fs.open(ctx, f.nodeid, constants.O_WRONLY | constants.O_TRUNC);
  fs.write(ctx, f.nodeid, rw.fh, 0, Buffer.from('new!'), 0);
  const buf = Buffer.alloc(8);
  const n = fs.read(ctx, f.nodeid, ro.fh, 0, 8, buf);
  t.equal(buf.subarray(0, n).toString(), 'new!');
  t.equal(fs.getattr(ctx, f.nodeid, ro.fh).attr.size, 4, 'fstat follows too');
});

t.test('an unlinked open file stays reachable through its node until released', async (t) => {
  const { fs } = fixture(t, 'auto', (l) => writeFileSync(join(l, 'f'), 'data'));
  const f = fs.lookup(ctx, ROOT, 'f');
  const h = fs.open(ctx, f.nodeid, constants.O_RDONLY);
  fs.unlink(ctx, ROOT, 'f');
  t.equal(fs.lookup(ctx, ROOT, 'f').nodeid, 0, 'the name is gone');
  t.equal(fs.getattr(ctx, f.nodeid, null).attr.size, 4, 'getattr without fh uses the open handle');
  const buf = Buffer.alloc(8);
  t.equal(fs.read(ctx, f.nodeid, h.fh, 0, 8, buf), 4);
  fs.release(ctx, f.nodeid, h.fh, 0);
  // Its name gone and no handle left: ESTALE, so a caller's path walk looks the name up again (nameGone).
  t.throws(() => fs.getattr(ctx, f.nodeid, null), { code: 'ESTALE' });
  fs.forget(f.nodeid, 1);
  t.equal(fs.nodeCount, 1);
});

// A reader's request can name a file a rename just replaced (its path walk found the node first):
// as the kernel's overlay acts on the inode its dentry holds, the file is kept open until the
// kernel forgets the node, and served (replaced-files.ts); before, ESTALE, which a second race in
// the VFS's one retry passed on to the caller.
t.test('a file a rename replaced serves its node until the kernel forgets it', async (t) => {
  const { fs, upper } = fixture(t, 'auto', (l) => writeFileSync(join(l, 'name'), 'lower'));
  const old = fs.lookup(ctx, ROOT, 'name');
  const fresh = fs.create(ctx, ROOT, 'new', 0o100644, constants.O_WRONLY, 0);
  fs.write(ctx, fresh.entry.nodeid, fresh.opened.fh, 0, Buffer.from('new'), 0);
  fs.release(ctx, fresh.entry.nodeid, fresh.opened.fh, 0);
  fs.rename(ctx, ROOT, 'new', ROOT, 'name', 0);
  t.equal(fs.lookup(ctx, ROOT, 'name').nodeid, fresh.entry.nodeid, 'the name is the new file');
  t.equal(fs.getattr(ctx, old.nodeid, null).attr.size, 5, "the old node's attributes are the old file's");
  const h = fs.open(ctx, old.nodeid, constants.O_RDONLY);
  const buf = Buffer.alloc(8);
  t.equal(buf.subarray(0, fs.read(ctx, old.nodeid, h.fh, 0, 8, buf)).toString(), 'lower', 'an open of it reads the old file');
  fs.release(ctx, old.nodeid, h.fh, 0);
  t.throws(() => fs.setattr(ctx, old.nodeid, { size: 1 }), { code: 'EEXIST' }, 'a lower file gone by name is not changed (as a held fd of it)');
  // An upper file replaced in turn: changes reach it, not the name.
  const second = fs.create(ctx, ROOT, 'new', 0o100644, constants.O_WRONLY, 0);
  fs.release(ctx, second.entry.nodeid, second.opened.fh, 0);
  fs.rename(ctx, ROOT, 'new', ROOT, 'name', 0);
  t.equal(fs.setattr(ctx, fresh.entry.nodeid, { size: 2, mode: 0o100600 }).attr.size, 2, 'truncate and chmod of the replaced upper file');
  t.equal(readFileSync(join(upper, 'name'), 'utf8'), '', 'the name keeps the newest file');
  t.equal([...fs.ovl.handles.entries()].length, 2, 'one open kept for each replaced file the kernel holds');
  fs.forget(old.nodeid, 1);
  fs.forget(fresh.entry.nodeid, 2);
  t.equal([...fs.ovl.handles.entries()].length, 0, 'forgotten: the kept opens are closed');
});

t.test('a dir rename moves the nodes below it; their ids keep working', async (t) => {
  const { fs } = fixture(t, 'auto', (l) => {
    mkdirSync(join(l, 'a/b'), { recursive: true });
    writeFileSync(join(l, 'a/b/c'), 'c');
  });
  const a = fs.mkdir(ctx, ROOT, 'top', 0o40755, 0);
  const b = fs.mkdir(ctx, a.nodeid, 'b', 0o40755, 0);
  const c = fs.create(ctx, b.nodeid, 'c', 0o100644, constants.O_WRONLY, 0);
  fs.release(ctx, c.entry.nodeid, c.opened.fh, 0);
  fs.rename(ctx, ROOT, 'top', ROOT, 'moved', 0);
  t.equal(fs.getattr(ctx, c.entry.nodeid, null).attr.ino, c.entry.attr.ino);
  t.equal(fs.lookup(ctx, b.nodeid, 'c').nodeid, c.entry.nodeid, 'same node under the new path');
  t.throws(() => fs.rename(ctx, ROOT, 'a', ROOT, 'z', 0), { code: 'EXDEV' }, 'a lower dir without redirect_dir');
});

t.test('readdir: ".", "..", d_ino == st_ino, stable cookies, listing taken at the first READDIR', async (t) => {
  const { fs } = fixture(t, 'auto', (l) => {
    mkdirSync(join(l, 'd'));
    for (const n of ['x', 'y', 'z']) writeFileSync(join(l, 'd', n), n);
    symlinkSync('x', join(l, 'd/s'));
  });
  const d = fs.lookup(ctx, ROOT, 'd');
  const h = fs.opendir(ctx, d.nodeid, 0);
  fs.create(ctx, d.nodeid, 'late', 0o100644, constants.O_WRONLY, 0);
  const all = [...fs.readdir(ctx, d.nodeid, h.fh, 0)];
  t.same(all.map((e) => e.name).sort(), ['.', '..', 'late', 's', 'x', 'y', 'z'], 'created after OPENDIR, before READDIR: listed');
  t.same(all.map((e) => e.off - all[0]!.off + 1), [1, 2, 3, 4, 5, 6, 7], 'one cookie after another (above its listing\'s generation)');
  const x = all.find((e) => e.name === 'x')!;
  t.equal(x.ino, fs.lookup(ctx, d.nodeid, 'x').attr.ino);
  t.equal(x.type, 8, 'DT_REG');
  t.equal(all.find((e) => e.name === 's')!.type, 10, 'DT_LNK');
  fs.unlink(ctx, d.nodeid, 'y');
  const rest = [...fs.readdir(ctx, d.nodeid, h.fh, all[2]!.off)];
  t.same(rest.map((e) => e.name), all.slice(3).map((e) => e.name), 'cookies index the same snapshot');
  fs.releasedir(ctx, d.nodeid, h.fh);
});

t.test('setattr: ns times, mode, truncate through fh, kill suid/sgid', async (t) => {
  const { fs } = fixture(t, 'auto', (l) => writeFileSync(join(l, 'f'), '0123456789'));
  const f = fs.lookup(ctx, ROOT, 'f');
  const a = fs.setattr(ctx, f.nodeid, { atime: { sec: 1000, nsec: 123456789 }, mtime: { sec: 2000, nsec: 987654321 } });
  t.equal(a.attr.mtimeSec, 2000);
  t.equal(a.attr.mtimeNsec, 987654321);
  t.equal(a.attr.atimeNsec, 123456789);
  t.equal(fs.setattr(ctx, f.nodeid, { mode: 0o100600 }).attr.mode & 0o7777, 0o600);
  const h = fs.open(ctx, f.nodeid, constants.O_WRONLY);
  t.equal(fs.setattr(ctx, f.nodeid, { size: 3, fh: h.fh }).attr.size, 3);
  fs.release(ctx, f.nodeid, h.fh, 0);
  t.equal(fs.setattr(ctx, f.nodeid, { mode: 0o106755, killSuidgid: false }).attr.mode & 0o7777, 0o6755);
  t.equal(fs.setattr(ctx, f.nodeid, { killSuidgid: true }).attr.mode & 0o7777, 0o755, 'kill suid/sgid');
});

t.test('setattr of an unlinked open file: ns times and mode through its fd', async (t) => {
  const { fs } = fixture(t, 'auto', (l) => writeFileSync(join(l, 'f'), 'data'));
  const f = fs.lookup(ctx, ROOT, 'f');
  const h = fs.open(ctx, f.nodeid, constants.O_WRONLY);
  fs.unlink(ctx, ROOT, 'f');
  const a = fs.setattr(ctx, f.nodeid, { mtime: { sec: 2000, nsec: 987654321 }, mode: 0o100640 });
  t.equal(a.attr.mtimeSec, 2000);
  t.equal(a.attr.mtimeNsec, 987654321, 'nanoseconds, as the kernel\'s overlay keeps them (futimes had µs)');
  t.equal(a.attr.mode & 0o7777, 0o640);
  const b = fs.setattr(ctx, f.nodeid, { atime: 'now' });
  t.equal(b.attr.mtimeNsec, 987654321, 'an omitted time is left as it was');
  fs.release(ctx, f.nodeid, h.fh, 0);
});

t.test('setattr and getattr of a file open in the upper go to its fd: no path walked, no origin read', async (t) => {
  let next = 1;
  const { fs, upper } = fixture(t, 'auto', undefined, { backingOpen: () => next++ });
  const c = fs.create(ctx, ROOT, 'f', 0o100600, constants.O_WRONLY, 0);
  t.equal(c.opened.openFlags & FOPEN_PASSTHROUGH, FOPEN_PASSTHROUGH, 'a passthrough open');
  const node = c.entry.nodeid;
  let times!: ReturnType<OverlayFs['setattr']>;
  // What tar does to each file it wrote: futimens, fchown (the kernel asks GETATTR first), fchmod.
  const calls = await syscallsDuring(t, ['lgetxattr', 'getxattr', 'lchown', 'fchown', 'chmod', 'fchmod', 'fchmodat'], () => {
    times = fs.setattr(ctx, node, { atime: 'now', mtime: { sec: 1234, nsec: 5678 } });
    fs.getattr(ctx, node, null);
    fs.setattr(ctx, node, { uid: 1, gid: 2 });
    fs.setattr(ctx, node, { mode: 0o100644 });
  });
  t.same(calls, ['fchown', 'fchmod'], 'fd calls only');
  t.equal(times.attr.mtimeSec, 1234);
  t.equal(times.attr.mtimeNsec, 5678);
  t.equal(times.attr.ino, c.entry.attr.ino);
  const st = lstatSync(join(upper, 'f'));
  t.same([st.uid, st.gid, st.mode & 0o7777, st.mtimeMs], [1, 2, 0o644, 1234000.005678]);
  const a = fs.getattr(ctx, node, null).attr;
  t.same([a.uid, a.gid, a.mode & 0o7777, a.ino], [1, 2, 0o644, c.entry.attr.ino]);
  fs.release(ctx, node, c.opened.fh, 0);
  t.equal(fs.setattr(ctx, node, { mode: 0o100600 }).attr.mode & 0o7777, 0o600, 'closed: by path again');
});

t.test('HANDLE_KILLPRIV_V2: WRITE and OPEN flags drop setuid and group-executable setgid, chown needs no chmod', async (t) => {
  const { fs, upper, notes } = fixture(t, 'auto', (l) => {
    writeFileSync(join(l, 'f'), 'data');
    chmodSync(join(l, 'f'), 0o6775);
    writeFileSync(join(l, 'g'), 'data');
    chmodSync(join(l, 'g'), 0o4755);
  });
  const f = fs.lookup(ctx, ROOT, 'f');
  const h = fs.open(ctx, f.nodeid, constants.O_WRONLY);
  fs.write(ctx, f.nodeid, h.fh, 0, Buffer.from('x'), 0);
  t.equal(lstatSync(join(upper, 'f')).mode & 0o7777, 0o6775, 'a write without the flag (a root caller) keeps them');
  notes.length = 0;
  fs.write(ctx, f.nodeid, h.fh, 0, Buffer.from('y'), FUSE_WRITE_KILL_SUIDGID);
  t.equal(lstatSync(join(upper, 'f')).mode & 0o7777, 0o775, 'FUSE_WRITE_KILL_SUIDGID');
  t.same(notes, [`inode ${f.nodeid} -1 0`], 'the kernel drops the mode it cached');
  fs.release(ctx, f.nodeid, h.fh, 0);
  const g = fs.lookup(ctx, ROOT, 'g');
  const o = fs.open(ctx, g.nodeid, constants.O_WRONLY | constants.O_TRUNC, true);
  t.equal(lstatSync(join(upper, 'g')).mode & 0o7777, 0o755, 'FUSE_OPEN_KILL_SUIDGID');
  fs.release(ctx, g.nodeid, o.fh, 0);
  chmodSync(join(upper, 'g'), 0o4755);
  const calls = await syscallsDuring(t, ['chmod', 'fchmod', 'fchmodat'], () => fs.setattr(ctx, g.nodeid, { uid: 1, gid: 1, killSuidgid: true }));
  t.same(calls, [], 'a chown with FATTR_KILL_SUIDGID: the chown itself drops them');
  t.equal(lstatSync(join(upper, 'g')).mode & 0o7777, 0o755);
});

t.test('an upper dir\'s inode is its own: no origin read for it, though each entry made in it changes its ctime', async (t) => {
  const { fs } = fixture(t);
  const d = fs.mkdir(ctx, ROOT, 'd', 0o40755, 0);
  t.equal(fs.getattr(ctx, d.nodeid, null).attr.ino, d.attr.ino);
  const calls = await syscallsDuring(t, ['lgetxattr', 'getxattr'], () => {
    for (const n of ['a', 'b']) {
      const c = fs.create(ctx, d.nodeid, n, 0o100644, constants.O_WRONLY, 0);
      fs.release(ctx, c.entry.nodeid, c.opened.fh, 0);
      t.equal(fs.getattr(ctx, d.nodeid, null).attr.ino, d.attr.ino);
    }
  });
  t.same(calls, [], 'no origin read for the dir');
});

t.test('hard links of an upper file share its node, as they share one inode under kernel overlayfs', async (t) => {
  const { fs, notes } = fixture(t, 'auto', (l, u) => {
    writeFileSync(join(u, 'u1'), 'u');
    linkSync(join(u, 'u1'), join(u, 'u2'));
  });
  const a = fs.create(ctx, ROOT, 'a', 0o100644, constants.O_WRONLY, 0);
  fs.release(ctx, a.entry.nodeid, a.opened.fh, 0);
  const b = fs.link(ctx, a.entry.nodeid, ROOT, 'b');
  t.equal(b.nodeid, a.entry.nodeid, 'LINK answers with the source\'s node');
  t.equal(b.generation, a.entry.generation);
  t.equal(b.attr.nlink, 2);
  notes.length = 0;
  fs.unlink(ctx, ROOT, 'a');
  t.same(notes.filter((n) => n.startsWith(`inode ${b.nodeid} `)), [], 'the kernel drops the attributes of the inode it unlinked itself');
  t.equal(fs.getattr(ctx, b.nodeid, null).attr.nlink, 1, 'the node lives on under its other name');
  const u1 = fs.lookup(ctx, ROOT, 'u1');
  const u2 = fs.lookup(ctx, ROOT, 'u2');
  t.equal(u2.nodeid, u1.nodeid, 'two names made in the upper: one node');
  fs.forget(u1.nodeid, 2);
  t.not(fs.lookup(ctx, ROOT, 'u2').nodeid, 0, 'looked up again once forgotten');
});

t.test('xattrs: escaped and hidden as the kernel does; rename flags reach the core', async (t) => {
  const { fs } = fixture(t, 'auto', (l) => writeFileSync(join(l, 'f'), 'x'));
  const f = fs.lookup(ctx, ROOT, 'f');
  fs.setxattr(ctx, f.nodeid, 'user.k', Buffer.from('v'), 0, false);
  t.equal(fs.getxattr(ctx, f.nodeid, 'user.k')?.toString(), 'v');
  t.equal(fs.getxattr(ctx, f.nodeid, 'security.capability'), null, 'absent: null, the loop answers ENODATA');
  t.ok(fs.listxattr(ctx, f.nodeid).names.includes('user.k'));
  t.ok(!fs.listxattr(ctx, f.nodeid).names.some((n) => n.startsWith('trusted.overlay.origin')), 'origin hidden');
  const g = fs.create(ctx, ROOT, 'g', 0o100644, constants.O_WRONLY, 0);
  fs.release(ctx, g.entry.nodeid, g.opened.fh, 0);
  t.throws(() => fs.rename(ctx, ROOT, 'f', ROOT, 'g', 1), { code: 'EEXIST' }, 'RENAME_NOREPLACE');
  fs.rename(ctx, ROOT, 'f', ROOT, 'g', 2);
  t.equal(fs.lookup(ctx, ROOT, 'g').nodeid, f.nodeid, 'RENAME_EXCHANGE swapped the nodes');
  t.equal(fs.lookup(ctx, ROOT, 'f').nodeid, g.entry.nodeid);
});

t.test('cache modes: timeouts and open flags per node', async (t) => {
  const never = fixture(t, 'never', (l) => mkdirSync(join(l, 'd')));
  const d = never.fs.lookup(ctx, ROOT, 'd');
  t.equal(d.entryValidMs, 0);
  t.equal(d.attrValidMs, 0);
  t.equal(never.fs.opendir(ctx, d.nodeid, 0).openFlags, 0);
  const always = fixture(t, 'always', (l) => writeFileSync(join(l, 'f'), 'x'));
  const f = always.fs.lookup(ctx, ROOT, 'f');
  t.equal(f.attrValidMs, 60_000);
  t.equal(always.fs.opendir(ctx, ROOT, 0).openFlags, 0b1010, 'CACHE_DIR|KEEP_CACHE');
  const auto = fixture(t, 'auto', (l) => writeFileSync(join(l, 'f'), 'x'));
  const g = auto.fs.lookup(ctx, ROOT, 'f');
  t.equal(auto.fs.open(ctx, g.nodeid, constants.O_RDONLY).openFlags, FOPEN_NOFLUSH, 'first open: nothing cached to keep (and no FLUSH at close)');
  t.equal(auto.fs.open(ctx, g.nodeid, constants.O_RDONLY).openFlags, 2 | FOPEN_NOFLUSH, 'unchanged since: KEEP_CACHE');
  t.equal(auto.fs.opendir(ctx, ROOT, 0).openFlags, 0, 'no dir cache without a watcher');
  auto.fs.setWatching(true);
  t.equal(auto.fs.lookup(ctx, ROOT, 'f').attrValidMs, 60_000, 'with a watcher');
  t.equal(auto.fs.opendir(ctx, ROOT, 0).openFlags, 0b1010);
});

t.test('watchTarget.forget: the core forgets a changed path, and its page cache is not kept', async (t) => {
  const { fs, lower } = fixture(t, 'auto', (l) => writeFileSync(join(l, 'f'), 'x'));
  const f = fs.lookup(ctx, ROOT, 'f');
  fs.release(ctx, f.nodeid, fs.open(ctx, f.nodeid, constants.O_RDONLY).fh, 0);
  const target = fs.watchTarget();
  const rec = target.table.find('/f');
  t.equal(rec?.id, f.nodeid, 'the watcher finds the node by merged path');
  rmSync(join(lower, 'f'));
  mkdirSync(join(lower, 'f'));
  target.forget('/f', rec);
  t.ok((fs.lookup(ctx, ROOT, 'f').attr.mode & 0o170000) === 0o040000, 'now a dir');
  writeFileSync(join(lower, 'g'), 'g');
  const g = fs.lookup(ctx, ROOT, 'g');
  fs.release(ctx, g.nodeid, fs.open(ctx, g.nodeid, constants.O_RDONLY).fh, 0);
  target.forget(null, undefined);
  t.equal(fs.open(ctx, g.nodeid, constants.O_RDONLY).openFlags, FOPEN_NOFLUSH, 'no KEEP_CACHE after a full drop');
});

t.test('watchTarget.session: attribute drops and passthrough nodes are told at once, page drops handed off', async (t) => {
  const now: string[] = [];
  const { fs, notes } = fixture(t, 'auto', (l) => writeFileSync(join(l, 'f'), 'x'), {
    invalAttrs: (id) => void now.push(`attrs ${id}`),
    backingOpen: () => 7,
    grantedFlags: InitFlag.PASSTHROUGH,
  });
  const { session } = fs.watchTarget();
  const made = fs.create(ctx, ROOT, 'new', 0o100644, constants.O_WRONLY, 0);
  t.ok(made.opened.openFlags & FOPEN_PASSTHROUGH, 'the new upper file passes through');
  session.invalInode(made.entry.nodeid, 0, -1);
  t.same(now, [`attrs ${made.entry.nodeid}`], 'its writes leave no page cache: attributes only, by the loop');
  fs.release(ctx, made.entry.nodeid, made.opened.fh, 0);
  session.invalInode(made.entry.nodeid, 0, -1);
  t.same(notes, [`inode ${made.entry.nodeid} 0 -1`], 'closed, it may have cached pages again: handed off');
  const f = fs.lookup(ctx, ROOT, 'f');
  session.invalInode(f.nodeid, -1, 0);
  t.same(now.at(-1), `attrs ${f.nodeid}`, 'an attribute-only drop never waits on a page: by the loop');
  session.invalInode(ROOT, 0, -1);
  t.same(notes.at(-1), `inode ${ROOT} 0 -1`, 'a dir listing is pages: handed off');
});

t.test('READDIRPLUS lookups use the listing only while the reply is filled', async (t) => {
  const { fs, lower } = fixture(t, 'auto', (l) => {
    mkdirSync(join(l, 'd'));
    writeFileSync(join(l, 'd/f'), 'x');
  });
  const d = fs.lookup(ctx, ROOT, 'd');
  const h = fs.opendir(ctx, d.nodeid, 0);
  for (const e of fs.readdir(ctx, d.nodeid, h.fh, 0)) {
    if (e.name !== 'f') continue;
    writeFileSync(join(lower, 'd/f'), 'grown');
    t.equal(fs.lookup(ctx, d.nodeid, 'f').attr.size, 1, 'inside the fill: the listing\'s view');
  }
  t.equal(fs.lookup(ctx, d.nodeid, 'f').attr.size, 5, 'afterwards: the layers again');
  fs.releasedir(ctx, d.nodeid, h.fh);
});

t.test('names of a shared node changed in the upper while mounted: it acts only through those still its file', async (t) => {
  const pair = (u: string, names: string[]): void => {
    writeFileSync(join(u, names[0]!), 'orig');
    for (const n of names.slice(1)) linkSync(join(u, names[0]!), join(u, n));
  };
  await t.test('a name replaced: writes by the node reach the file, not the new one', async (t) => {
    const { fs, upper } = fixture(t, 'auto', (_l, u) => {
      pair(u, ['a', 'b']);
      writeFileSync(join(u, 'other'), 'other');
    });
    const x = fs.lookup(ctx, ROOT, 'a');
    t.equal(fs.lookup(ctx, ROOT, 'b').nodeid, x.nodeid);
    renameSync(join(upper, 'other'), join(upper, 'a'));
    const h = fs.open(ctx, x.nodeid, constants.O_WRONLY | constants.O_TRUNC);
    fs.write(ctx, x.nodeid, h.fh, 0, Buffer.from('via b'), 0);
    fs.release(ctx, x.nodeid, h.fh, 0);
    t.equal(readFileSync(join(upper, 'b'), 'utf8'), 'via b');
    t.equal(readFileSync(join(upper, 'a'), 'utf8'), 'other', 'the file now at the first name is untouched');
    t.not(fs.lookup(ctx, ROOT, 'a').nodeid, x.nodeid, 'that name is another node now');
  });
  await t.test('a name removed: the node goes on under the others', async (t) => {
    const { fs, upper } = fixture(t, 'auto', (_l, u) => pair(u, ['a', 'b', 'c']));
    const x = fs.lookup(ctx, ROOT, 'a');
    fs.lookup(ctx, ROOT, 'b');
    rmSync(join(upper, 'a'));
    t.equal(fs.lookup(ctx, ROOT, 'a').nodeid, 0);
    t.equal(fs.lookup(ctx, ROOT, 'b').nodeid, x.nodeid);
    t.equal(fs.lookup(ctx, ROOT, 'c').nodeid, x.nodeid, 'a third name still joins it');
    const h = fs.open(ctx, x.nodeid, constants.O_RDONLY);
    const buf = Buffer.alloc(8);
    t.equal(fs.read(ctx, x.nodeid, h.fh, 0, 8, buf), 4);
    fs.release(ctx, x.nodeid, h.fh, 0);
  });
  await t.test('the last name left replaced: the node acts on no other file', async (t) => {
    const { fs, upper } = fixture(t, 'auto', (_l, u) => {
      pair(u, ['a', 'b']);
      writeFileSync(join(u, 'other'), 'other');
    });
    const x = fs.lookup(ctx, ROOT, 'a');
    fs.lookup(ctx, ROOT, 'b');
    fs.unlink(ctx, ROOT, 'b');
    renameSync(join(upper, 'other'), join(upper, 'a'));
    t.throws(() => fs.open(ctx, x.nodeid, constants.O_WRONLY | constants.O_TRUNC), { code: 'ESTALE' });
    t.equal(readFileSync(join(upper, 'a'), 'utf8'), 'other');
  });
  await t.test('a READDIRPLUS entry stat before a relink through the mount: the name stays with the node', async (t) => {
    const { fs } = fixture(t, 'auto', (_l, u) => {
      for (const n of ['a', 'b', 'c']) writeFileSync(join(u, n), n);
    });
    const x = fs.lookup(ctx, ROOT, 'a');
    const o = fs.opendir(ctx, ROOT);
    const order = [...fs.readdir(ctx, ROOT, o.fh, 0)].map((e) => e.name);
    fs.unlink(ctx, ROOT, 'b');
    t.equal(fs.link(ctx, x.nodeid, ROOT, 'b').nodeid, x.nodeid);
    let b: number | undefined;
    for (const e of fs.readdir(ctx, ROOT, o.fh, order.indexOf('b'))) if (e.name === 'b') b = fs.lookup(ctx, ROOT, 'b').nodeid;
    fs.releasedir(ctx, ROOT, o.fh);
    t.equal(b, x.nodeid);
  });
  await t.test('a name the kernel held alone before a link made outside: it keeps its node', async (t) => {
    const { fs, upper } = fixture(t, 'auto', (_l, u) => writeFileSync(join(u, 'a'), 'a'));
    const z = fs.lookup(ctx, ROOT, 'a');
    linkSync(join(upper, 'a'), join(upper, 'b'));
    const x = fs.lookup(ctx, ROOT, 'b');
    t.equal(fs.lookup(ctx, ROOT, 'a').nodeid, z.nodeid);
    fs.setxattr(ctx, z.nodeid, 'user.k', Buffer.from('v'), 0, false);
    t.equal(fs.getattr(ctx, z.nodeid, null).attr.nlink, 2, 'still reached by its name');
    t.not(x.nodeid, 0);
  });
  await t.test('with the layer watcher: names are checked again after each change it reports', async (t) => {
    const { fs, upper } = fixture(t, 'auto', (_l, u) => {
      pair(u, ['a', 'b']);
      writeFileSync(join(u, 'other'), 'other');
    });
    fs.setWatching(true);
    const x = fs.lookup(ctx, ROOT, 'a');
    fs.lookup(ctx, ROOT, 'b');
    t.equal(fs.getattr(ctx, x.nodeid, null).attr.nlink, 2, 'checked once');
    renameSync(join(upper, 'other'), join(upper, 'a'));
    fs.watchTarget().forget('/a', undefined, 0);
    const h = fs.open(ctx, x.nodeid, constants.O_WRONLY | constants.O_TRUNC);
    fs.write(ctx, x.nodeid, h.fh, 0, Buffer.from('via b'), 0);
    fs.release(ctx, x.nodeid, h.fh, 0);
    t.equal(readFileSync(join(upper, 'b'), 'utf8'), 'via b');
    t.equal(readFileSync(join(upper, 'a'), 'utf8'), 'other');
  });
  await t.test('the other name removed: the one left keeps the node', async (t) => {
    const { fs, upper } = fixture(t, 'auto', (_l, u) => pair(u, ['a', 'b']));
    const x = fs.lookup(ctx, ROOT, 'a');
    fs.lookup(ctx, ROOT, 'b');
    rmSync(join(upper, 'b'));
    const again = fs.lookup(ctx, ROOT, 'a');
    t.equal(again.nodeid, x.nodeid);
    t.equal(again.attr.nlink, 1);
    t.equal(fs.getattr(ctx, x.nodeid, null).attr.nlink, 1);
  });
});

t.test('LINK of a lower file: copied up, and the new name shares its node', async (t) => {
  const { fs } = fixture(t, 'auto', (l) => writeFileSync(join(l, 'z'), 'z'));
  const z = fs.lookup(ctx, ROOT, 'z');
  t.equal(z.attr.nlink, 1);
  const z2 = fs.link(ctx, z.nodeid, ROOT, 'z2');
  t.equal(z2.nodeid, z.nodeid);
  t.equal(z2.attr.nlink, 2);
  const h = fs.open(ctx, z2.nodeid, constants.O_WRONLY | constants.O_APPEND);
  fs.write(ctx, z2.nodeid, h.fh, 1, Buffer.from('w'), 0);
  fs.release(ctx, z2.nodeid, h.fh, 0);
  t.equal(fs.getattr(ctx, z.nodeid, null).attr.size, 2);
});

t.test('attribute timeouts of hard-linked files: lower ones 1 s at most, upper ones 0 under passthrough', async (t) => {
  const { fs } = fixture(t, 'always', (l) => {
    writeFileSync(join(l, 'a'), 'a');
    linkSync(join(l, 'a'), join(l, 'b'));
    writeFileSync(join(l, 'one'), '1');
  }, { grantedFlags: InitFlag.PASSTHROUGH });
  const a = fs.lookup(ctx, ROOT, 'a');
  t.equal(a.attr.nlink, 2);
  // 0 made every read(2) of it ask GETATTR (AUTO_INVAL_DATA): half the warm read throughput.
  t.equal(a.attrValidMs, 1000, 'a lower hard link: bounded, not 0');
  t.equal(fs.getattr(ctx, a.nodeid, null).attrValidMs, 1000);
  t.equal(fs.lookup(ctx, ROOT, 'one').attrValidMs, 60_000, 'a lower file with one name: the mode\'s timeout');
  const u = fs.create(ctx, ROOT, 'u', 0o100644, constants.O_WRONLY, 0);
  fs.release(ctx, u.entry.nodeid, u.opened.fh, 0);
  const v = fs.link(ctx, u.entry.nodeid, ROOT, 'v');
  t.equal(v.attrValidMs, 0, 'an upper hard link under passthrough: never kept');
  t.equal(fs.getattr(ctx, u.entry.nodeid, null).attrValidMs, 0);
  // A write open copies one lower alias up apart (index=off): it is an upper file with one name.
  const h = fs.open(ctx, a.nodeid, constants.O_WRONLY);
  const after = fs.getattr(ctx, a.nodeid, h.fh);
  t.equal(after.attr.nlink, 1);
  fs.release(ctx, a.nodeid, h.fh, 0);
  t.equal(fs.getattr(ctx, a.nodeid, null).attrValidMs, 60_000);
});

t.test('an O_RDWR passthrough open at CREATE or TMPFILE: its attributes are not kept (stores through a mapping go unseen)', async (t) => {
  let id = 0;
  const { fs } = fixture(t, 'auto', undefined, { grantedFlags: InitFlag.PASSTHROUGH, backingOpen: () => ++id, backingClose() {} });
  fs.setWatching(true);
  const rw = fs.create(ctx, ROOT, 'rw', 0o100644, constants.O_RDWR, 0);
  t.equal(rw.opened.openFlags & FOPEN_PASSTHROUGH, FOPEN_PASSTHROUGH);
  t.equal(rw.entry.attrValidMs, 0, 'CREATE O_RDWR');
  const wo = fs.create(ctx, ROOT, 'wo', 0o100644, constants.O_WRONLY, 0);
  t.not(wo.entry.attrValidMs, 0, 'CREATE O_WRONLY: kept');
  const tmp = fs.tmpfile(ctx, ROOT, 0o100644, constants.O_RDWR, 0);
  t.equal(tmp.opened.openFlags & FOPEN_PASSTHROUGH, FOPEN_PASSTHROUGH);
  t.equal(tmp.entry.attrValidMs, 0, 'TMPFILE O_RDWR');
  const tmpWo = fs.tmpfile(ctx, ROOT, 0o100644, constants.O_WRONLY, 0);
  t.not(tmpWo.entry.attrValidMs, 0, 'TMPFILE O_WRONLY: kept');
  for (const o of [rw, wo, tmp, tmpWo]) fs.release(ctx, o.entry.nodeid, o.opened.fh, 0);
});

t.test('a forgotten dir takes its listing record along: its reused id waits for no drop', async (t) => {
  const { fs, notes } = fixture(
    t,
    'auto',
    (l, u) => {
      for (const d of ['c', 'd', 'e']) {
        mkdirSync(join(l, d));
        writeFileSync(join(l, d, 'lower'), 'l');
        mkdirSync(join(u, d));
        writeFileSync(join(u, d, 'upper'), 'u');
      }
    },
    { invalListing: (id) => void notes.push(`listing ${id}`), invalAttrs: (id) => void notes.push(`attrs ${id}`) },
  );
  const copyUpIn = (dir: number): void => {
    const f = fs.lookup(ctx, dir, 'lower');
    const h = fs.open(ctx, f.nodeid, constants.O_WRONLY);
    fs.release(ctx, f.nodeid, h.fh, 0);
  };
  const list = (dir: number): void => {
    const o = fs.opendir(ctx, dir);
    [...fs.readdir(ctx, dir, o.fh, 0)];
    fs.releasedir(ctx, dir, o.fh);
  };
  // The control: a listed merged dir with an upper entry, made impure by a copy-up, waits.
  const c = fs.lookup(ctx, ROOT, 'c');
  list(c.nodeid);
  notes.length = 0;
  copyUpIn(c.nodeid);
  t.ok(notes.includes(`listing ${c.nodeid}`), 'a held listing that reads otherwise once impure is dropped before the reply');
  const d = fs.lookup(ctx, ROOT, 'd');
  list(d.nodeid);
  fs.forget(d.nodeid, 1);
  const e = fs.lookup(ctx, ROOT, 'e');
  t.equal(e.nodeid, d.nodeid, 'the forgotten id is reused');
  t.not(e.generation, d.generation);
  notes.length = 0;
  copyUpIn(e.nodeid);
  t.notOk(notes.includes(`listing ${e.nodeid}`), 'the kernel holds no listing of the new inode: nothing to wait for');
  t.ok(notes.includes(`attrs ${e.nodeid}`), 'its attributes still go');
});

t.test('copy-ups into a listed dir: one listing drop until the kernel reads it again; a SETATTR keeps its own attributes', async (t) => {
  const { fs, notes } = fixture(
    t,
    'auto',
    (l, u) => {
      mkdirSync(join(l, 'd'));
      for (const n of ['a', 'b', 'c', 'x']) writeFileSync(join(l, 'd', n), n);
      mkdirSync(join(l, 'dir'));
      mkdirSync(join(u, 'd'));
    },
    { invalListing: (id) => void notes.push(`listing ${id}`), invalAttrs: (id) => void notes.push(`attrs ${id}`) },
  );
  const d = fs.lookup(ctx, ROOT, 'd');
  const list = (): void => {
    const o = fs.opendir(ctx, d.nodeid);
    [...fs.readdir(ctx, d.nodeid, o.fh, 0)];
    fs.releasedir(ctx, d.nodeid, o.fh);
  };
  const copyUp = (name: string): string[] => {
    notes.length = 0;
    const f = fs.lookup(ctx, d.nodeid, name);
    const h = fs.open(ctx, f.nodeid, constants.O_WRONLY);
    fs.release(ctx, f.nodeid, h.fh, 0);
    return notes.filter((n) => n.endsWith(` ${d.nodeid}`) || n.startsWith(`inode ${d.nodeid} `));
  };
  list();
  t.same(copyUp('a'), [`attrs ${d.nodeid}`, `inode ${d.nodeid} 0 -1`], 'the first copy-up drops the listing (no wait)');
  t.same(copyUp('b'), [`attrs ${d.nodeid}`], 'the next only the attributes: a drop is on its way');
  list();
  t.same(copyUp('c'), [`attrs ${d.nodeid}`, `inode ${d.nodeid} 0 -1`], 'read again: dropped again');

  const x = fs.lookup(ctx, d.nodeid, 'x');
  notes.length = 0;
  t.equal(fs.setattr(ctx, x.nodeid, { mode: 0o100600 }).attr.mode & 0o7777, 0o600);
  t.notOk(notes.includes(`attrs ${x.nodeid}`), 'a chmod that copies up answers with the attributes: none dropped');
  t.ok(notes.includes(`attrs ${d.nodeid}`), 'the parent\'s still go');
  const dir = fs.lookup(ctx, ROOT, 'dir');
  notes.length = 0;
  t.throws(() => fs.setattr(ctx, dir.nodeid, { size: 0 }));
  t.ok(notes.includes(`attrs ${dir.nodeid}`), 'a SETATTR that fails after its copy-up drops them');
});

t.test('a listed lower dir copied up: its own listing drop is waited for, but in a SETATTR (chmod -R) or a request that changes its names', async (t) => {
  const { fs, notes } = fixture(
    t,
    'auto',
    (l) => {
      for (const d of ['x', 'y', 'z', 'w']) {
        mkdirSync(join(l, d));
        writeFileSync(join(l, d, 'f'), 'f');
      }
    },
    { invalListing: (id) => void notes.push(`listing ${id}`), invalAttrs: (id) => void notes.push(`attrs ${id}`) },
  );
  const listed = (name: string) => {
    const d = fs.lookup(ctx, ROOT, name);
    const o = fs.opendir(ctx, d.nodeid);
    [...fs.readdir(ctx, d.nodeid, o.fh, 0)];
    fs.releasedir(ctx, d.nodeid, o.fh);
    notes.length = 0;
    return d.nodeid;
  };
  // An xattr set copies the dir up; the next readdir must reach the daemon to stamp the new upper
  // copy's atime (the kernel's overlay does), so the kernel's cached listing goes before the reply.
  const x = listed('x');
  fs.setxattr(ctx, x, 'user.k', Buffer.from('v'), 0, false);
  t.ok(notes.includes(`listing ${x}`), 'waited for');
  t.notOk(notes.includes(`inode ${x} 0 -1`), 'not handed over without a wait');
  const y = listed('y');
  fs.setattr(ctx, y, { mode: 0o40700 });
  t.notOk(notes.includes(`listing ${y}`), 'a chmod does not wait');
  t.ok(notes.includes(`inode ${y} 0 -1`), 'it hands the drop over');
  // A write below it copies it up too: waited for.
  const z = listed('z');
  const f = fs.lookup(ctx, z, 'f');
  const h = fs.open(ctx, f.nodeid, constants.O_WRONLY);
  fs.release(ctx, f.nodeid, h.fh, 0);
  t.ok(notes.includes(`listing ${z}`), 'a write below it waits');
  // A create in it: the kernel's client drops that listing itself (fuse_dir_changed), no wait.
  const w = listed('w');
  const c = fs.create(ctx, w, 'new', 0o100644, constants.O_WRONLY, 0);
  fs.release(ctx, c.entry.nodeid, c.opened.fh, 0);
  t.notOk(notes.includes(`listing ${w}`), 'a create in it does not wait');
  t.ok(notes.includes(`inode ${w} 0 -1`), 'it hands the drop over');
});

/** A lower dir `d` the kernel looked up, then a file `d` added to the upper and reported by the watcher. */
function dirBecameFile(t: Test): { fs: OverlayFs; dir: ReturnType<OverlayFs['lookup']> } {
  const { fs, upper } = fixture(t, 'auto', (l) => mkdirSync(join(l, 'd')));
  fs.setWatching(true);
  const dir = fs.lookup(ctx, ROOT, 'd');
  writeFileSync(join(upper, 'd'), '');
  fs.watchTarget().forget('/d', undefined, 0);
  return { fs, dir };
}

t.test('a name that became another type in a layer while mounted gets a new node', async (t) => {
  const { fs, dir } = dirBecameFile(t);
  const file = fs.lookup(ctx, ROOT, 'd');
  t.equal(file.attr.mode & 0o170000, 0o100000);
  // The kernel makes an inode bad when its node id comes back with another type (fuse_stale_inode).
  t.not(file.nodeid, dir.nodeid, 'not the dir\'s node id');
  fs.forget(dir.nodeid, 1);
  t.equal(fs.lookup(ctx, ROOT, 'd').nodeid, file.nodeid, 'the dir\'s forget leaves the file\'s node');
  fs.forget(file.nodeid, 2);
  t.equal(fs.nodeCount, 1);
});

t.test('GETATTR of a node whose name became another type: ESTALE, not the other object\'s attributes', async (t) => {
  const { fs, dir } = dirBecameFile(t);
  // A file's attributes for the dir's inode would make the kernel mark it bad (EIO from then on).
  t.throws(() => fs.getattr(ctx, dir.nodeid, null), { code: 'ESTALE' });
  t.throws(() => fs.statx(ctx, dir.nodeid, null), { code: 'ENOENT' }, 'the node has no name left (a dir: ENOENT, nameGone)');
  const file = fs.lookup(ctx, ROOT, 'd');
  t.not(file.nodeid, dir.nodeid, 'the path walk the kernel retries gets a new node');
  t.equal(file.attr.mode & 0o170000, 0o100000);
});
