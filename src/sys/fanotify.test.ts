import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  FAN_ATTRIB,
  FAN_CREATE,
  FAN_DELETE,
  FAN_MODIFY,
  FAN_MOVED_FROM,
  FAN_MOVED_TO,
  FAN_ONDIR,
  FAN_Q_OVERFLOW,
  type FanEvent,
  closeGroup,
  decodeEvents,
  fanotifyGroup,
  ignoreDir,
  isOverflow,
  markFilesystem,
  PATH_TOO_LONG,
  handleBelow,
  pathOfHandle,
  readEvents,
} from './fanotify.js';
import { O_TMPFILE } from './space.js';
import { statVfs } from './statvfs.js';
import type { Teardowns } from '../../test/helpers/layers.js';
import { scratchFilesystems, sh } from '../../test/helpers/scratch.js';

/** One event record as the kernel lays it out: metadata, then a DFID_NAME (or DFID) info record. */
function record(mask: number, pid: number, fsid: [number, number], handle: Buffer, name: string | null): Buffer {
  const nameBytes = name === null ? Buffer.alloc(0) : Buffer.from(name + '\0');
  const unpadded = 4 + 8 + handle.length + nameBytes.length;
  const infoLen = (unpadded + 3) & ~3;
  const info = Buffer.alloc(infoLen);
  info[0] = name === null ? 3 : 2;
  info.writeUInt16LE(infoLen, 2);
  info.writeInt32LE(fsid[0], 4);
  info.writeInt32LE(fsid[1], 8);
  handle.copy(info, 12);
  nameBytes.copy(info, 12 + handle.length);
  const meta = Buffer.alloc(24);
  meta.writeUInt32LE(24 + infoLen, 0);
  meta[4] = 3;
  meta.writeUInt16LE(24, 6);
  meta.writeUInt32LE(mask, 8);
  meta.writeInt32LE(-1, 16);
  meta.writeInt32LE(pid, 20);
  return Buffer.concat([meta, info]);
}

const handle = Buffer.from([8, 0, 0, 0, 1, 0, 0, 0, 0x0c, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);

t.test('decodeEvents reads metadata, fsid, the directory handle and the name', async (t) => {
  const buf = Buffer.concat([
    record(FAN_CREATE, 42, [0x390f1b4e, 0x4d59d1e6], handle, 'new'),
    record(FAN_ATTRIB | FAN_ONDIR, 43, [1, 2], handle, '.'),
    record(FAN_MOVED_TO, 44, [1, 2], handle, 'ünï'),
  ]);
  const evs = decodeEvents(buf);
  t.equal(evs.length, 3);
  t.same(evs[0], {
    mask: FAN_CREATE,
    pid: 42,
    fsid: 0x4d59d1e6390f1b4en,
    dirHandle: handle,
    dirKey: Buffer.concat([Buffer.from('4e1b0f39e6d1594d', 'hex'), handle]).toString('latin1'),
    name: 'new',
  });
  t.equal(evs[1]!.name, null, '"." is the directory itself');
  t.equal(evs[1]!.mask, FAN_ATTRIB | FAN_ONDIR);
  t.equal(evs[2]!.name, 'ünï');
  t.not(evs[1]!.dirKey, evs[0]!.dirKey, 'the same handle on another filesystem is another dir');
});

t.test('decodeEvents leaves out the records of one pid, counted', async (t) => {
  const buf = Buffer.concat([record(FAN_CREATE, 42, [1, 2], handle, 'mine'), record(FAN_CREATE, 43, [1, 2], handle, 'theirs')]);
  const counts = { skipped: 0 };
  const evs = decodeEvents(buf, buf.length, 42, counts);
  t.same(evs.map((e) => [e.pid, e.name]), [[43, 'theirs']]);
  t.equal(counts.skipped, 1);
  t.equal(decodeEvents(buf).length, 2, 'nothing left out by default');
});

t.test('decodeEvents: overflow has no info record; a cut record ends the buffer', async (t) => {
  const overflow = Buffer.alloc(24);
  overflow.writeUInt32LE(24, 0);
  overflow[4] = 3;
  overflow.writeUInt16LE(24, 6);
  overflow.writeUInt32LE(FAN_Q_OVERFLOW, 8);
  overflow.writeInt32LE(-1, 20);
  const full = record(FAN_DELETE, 7, [1, 2], handle, 'gone');
  const evs = decodeEvents(Buffer.concat([overflow, full]), 24 + full.length - 3);
  t.equal(evs.length, 1);
  t.ok(isOverflow(evs[0]!));
  t.equal(evs[0]!.dirHandle, null);
  const wrongVersion = Buffer.from(full);
  wrongVersion[4] = 2;
  t.same(decodeEvents(wrongVersion), []);
});

// Real groups: the root filesystem (shared with every other process here) and a private tmpfs.
const { root, tmpfs } = scratchFilesystems(t, 'fanotify');

/** A group with a filesystem mark on `dir`'s filesystem and an fd to resolve handles with, closed in teardown. */
function markedGroup(t: Teardowns, dir: string, mountDir: string): { fd: number; mountFd: number } {
  const fd = fanotifyGroup();
  const mountFd = openSync(mountDir, 'r');
  t.teardown(() => {
    closeGroup(fd);
    closeSync(mountFd);
  });
  markFilesystem(fd, dir);
  return { fd, mountFd };
}

/**
 * The path of an event's directory, null when it cannot be resolved. On the shared root
 * filesystem the group also gets other processes' events, and one of those once made
 * open_by_handle_at fail with EINVAL (a helper's parallel run under load); the assertions here are
 * about this test's own dirs, whose handles must resolve (a failure there still shows as a
 * missing or unexpected name). The watcher itself treats such a failure as lost events.
 */
function pathOrNull(mountFd: number, handle: Buffer): string | null {
  try {
    const path = pathOfHandle(mountFd, handle);
    return path === PATH_TOO_LONG ? null : path;
  } catch {
    return null;
  }
}

/** Events of other processes under `dir`, with their directory resolved to a path. */
function eventsUnder(fd: number, mountFd: number, dir: string): (FanEvent & { dir: string })[] {
  const buf = Buffer.alloc(64 * 1024);
  const out: (FanEvent & { dir: string })[] = [];
  for (let evs = readEvents(fd, buf).events; evs.length > 0; evs = readEvents(fd, buf).events) {
    for (const ev of evs) {
      if (ev.pid === process.pid || ev.dirHandle === null) continue;
      const path = pathOrNull(mountFd, ev.dirHandle);
      if (path !== null && (path === dir || path.startsWith(dir + '/'))) out.push({ ...ev, dirHandle: Buffer.from(ev.dirHandle), dir: path });
    }
  }
  return out;
}

for (const [fs, base] of [
  ['the root filesystem', root],
  ['tmpfs', tmpfs],
] as const) {
  t.test(`a filesystem mark on ${fs} reports each change with its directory and name`, async (t) => {
    const dir = mkdtempSync(join(base, 'w-'));
    const { fd, mountFd } = markedGroup(t, dir, dir);
    // Another process makes the changes: ours are what the daemon ignores.
    sh('echo a > f && echo b >> f && mkdir d && chmod 700 d && mv f d/g && touch .', dir);
    const evs = eventsUnder(fd, mountFd, dir);
    const seen = evs.map((e) => [e.dir.slice(dir.length) || '/', e.name, e.mask]);
    const has = (d: string, name: string | null, bits: number) =>
      seen.some(([sd, sn, m]) => sd === d && sn === name && ((m as number) & bits) === bits);
    t.ok(has('/', 'f', FAN_CREATE), 'create f');
    t.ok(has('/', 'f', FAN_MODIFY), 'modify f');
    t.ok(has('/', 'd', FAN_CREATE | FAN_ONDIR), 'mkdir d');
    t.ok(has('/d', null, FAN_ATTRIB | FAN_ONDIR), 'chmod d is an event on d itself (its own handle, no name)');
    t.ok(has('/', 'f', FAN_MOVED_FROM), 'f moved from /');
    t.ok(has('/d', 'g', FAN_MOVED_TO), 'g moved into /d');
    t.ok(has('/', null, FAN_ATTRIB | FAN_ONDIR), 'touch . is an event on the dir itself');
    t.ok(evs.every((e) => e.fsid === statVfs(dir).fsid), 'fsid is the statvfs fsid');
    t.ok(evs.every((e) => e.pid !== process.pid));
  });
}

t.test('pathOfHandle: a deleted directory has no path', async (t) => {
  const dir = mkdtempSync(join(root, 'gone-'));
  const { fd, mountFd } = markedGroup(t, dir, root);
  sh('touch x', dir);
  const ev = readEvents(fd, Buffer.alloc(64 * 1024)).events.find((e) => e.name === 'x' && e.pid !== process.pid);
  t.ok(ev?.dirHandle);
  t.equal(pathOfHandle(mountFd, ev!.dirHandle!), dir);
  rmSync(dir, { recursive: true });
  t.equal(pathOfHandle(mountFd, ev!.dirHandle!), null);
});

// A review: a dir on a layer's filesystem whose path is longer than PATH_MAX (a test suite's deep
// tree) made the readlink of its fd fail, and the watcher dropped every cache for it.
t.test('a directory whose path is longer than PATH_MAX: PATH_TOO_LONG, and handleBelow places it by walking up', async (t) => {
  const dir = mkdtempSync(join(root, 'deep-'));
  t.teardown(() => execFileSync('rm', ['-rf', dir]));
  const other = mkdtempSync(join(root, 'other-'));
  t.teardown(() => rmSync(other, { recursive: true }));
  const { fd, mountFd } = markedGroup(t, dir, root);
  // 20 levels of 250-byte names, made by a child going down one level at a time.
  const name = 'd'.repeat(250);
  const deep = `const fs=require('fs');process.chdir(process.argv[1]);for(let i=0;i<20;i++){fs.mkdirSync(process.argv[2]);process.chdir(process.argv[2]);}fs.writeFileSync('f','x')`;
  execFileSync(process.execPath, ['-e', deep, dir, name]);
  const buf = Buffer.alloc(64 * 1024);
  let ev;
  for (let i = 0; i < 100 && !ev; i++) ev = readEvents(fd, buf).events.find((e) => e.name === 'f' && e.pid !== process.pid);
  t.ok(ev?.dirHandle, 'the create of f at the bottom');
  t.equal(pathOfHandle(mountFd, ev!.dirHandle!), PATH_TOO_LONG);
  const id = (p: string) => {
    const st = statSync(p, { bigint: true });
    return { dev: st.dev, ino: st.ino };
  };
  t.equal(handleBelow(mountFd, ev!.dirHandle!, [id(other), id(dir)]), true, 'below the test dir');
  t.equal(handleBelow(mountFd, ev!.dirHandle!, [id(other)]), false, 'not below another dir');
  execFileSync('rm', ['-rf', join(dir, name)]);
  t.equal(handleBelow(mountFd, ev!.dirHandle!, [id(dir)]), null, 'gone');
});

// A review: with the layers in a bind mount of a subdir (a container volume), a deep dir outside
// that subdir gave handleBelow an fd whose `..` is ENOENT (not reachable through the bind), and
// the walk threw: every event there dropped every cache again.
t.test('handleBelow through a bind mount of a subdir: a deep dir outside it is not below', async (t) => {
  const real = mkdtempSync(join(root, 'real-'));
  const bind = mkdtempSync(join(root, 'bind-'));
  const elsewhere = mkdtempSync(join(root, 'elsewhere-'));
  t.teardown(() => execFileSync('rm', ['-rf', real, bind, elsewhere]));
  execFileSync('mount', ['--bind', real, bind]);
  t.teardown(() => execFileSync('umount', [bind]));
  const { fd, mountFd } = markedGroup(t, bind, bind);
  const deep = `const fs=require('fs');process.chdir(process.argv[1]);for(let i=0;i<20;i++){fs.mkdirSync('d'.repeat(250));process.chdir('d'.repeat(250));}fs.writeFileSync('f','x')`;
  execFileSync(process.execPath, ['-e', deep, elsewhere]);
  const buf = Buffer.alloc(64 * 1024);
  let ev;
  for (let i = 0; i < 100 && !ev; i++) ev = readEvents(fd, buf).events.find((e) => e.name === 'f' && e.pid !== process.pid);
  t.ok(ev?.dirHandle, 'the create of f at the bottom');
  const st = statSync(bind, { bigint: true });
  t.equal(handleBelow(mountFd, ev!.dirHandle!, [{ dev: st.dev, ino: st.ino }]), false);
});

t.test('fanotify_mark on a path that does not exist fails with a typed error naming it', async (t) => {
  const fd = fanotifyGroup();
  t.teardown(() => closeGroup(fd));
  t.throws(() => markFilesystem(fd, join(root, 'nope')), { code: 'ENOENT', path: join(root, 'nope') });
});

t.test('ignoreDir: changes in the dir and to its entries are not queued; elsewhere they are', async (t) => {
  const dir = mkdtempSync(join(root, 'quiet-'));
  const { fd, mountFd } = markedGroup(t, dir, dir);
  sh('mkdir work layer', dir);
  ignoreDir(fd, join(dir, 'work'));
  // An O_TMPFILE's data and attributes (as a copy-up makes them), a named file, the dir itself.
  sh('echo a > work/f && chmod 600 work/f && touch work && echo b > layer/g', dir);
  const tmp = openSync(join(dir, 'work'), O_TMPFILE | constants.O_WRONLY, 0o600);
  writeSync(tmp, 'data');
  closeSync(tmp);
  sh('echo c > layer/h', dir);
  const buf = Buffer.alloc(64 * 1024);
  const all: FanEvent[] = [];
  for (let evs = readEvents(fd, buf).events; evs.length > 0; evs = readEvents(fd, buf).events) all.push(...evs);
  const names = all.filter((e) => e.dirHandle && pathOrNull(mountFd, e.dirHandle) === join(dir, 'layer')).map((e) => e.name);
  t.same([...new Set(names)].sort(), ['g', 'h'], 'the other dir is reported');
  const inWork = all.filter((e) => e.dirHandle && pathOrNull(mountFd, e.dirHandle)?.startsWith(join(dir, 'work')));
  t.same(inWork, [], 'nothing from the ignored dir, by this process or another');
});
