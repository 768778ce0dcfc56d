import { constants, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ReadAt } from './read-at.js';

const dir = mkdtempSync(join(tmpdir(), 'ovlkit-read-at-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'a'));
mkdirSync(join(dir, 'b'));
writeFileSync(join(dir, 'a', 'one'), 'first file');
writeFileSync(join(dir, 'a', 'two'), 'second');
writeFileSync(join(dir, 'b', 'one'), 'other dir');
writeFileSync(join(dir, 'plain'), 'x');

/** What this process has open under `dir`, by target path (fds of directories and files alike). */
const openUnder = (): string[] => readdirSync('/proc/self/fd').flatMap((fd) => {
  try {
    const to = readlinkSync(`/proc/self/fd/${fd}`);
    return to.startsWith(dir) ? [to] : [];
  } catch {
    return [];
  }
}).sort();

// The flags field of /proc/self/fdinfo/<fd>, octal.
const fdFlags = (fd: number): number => parseInt(/^flags:\s+(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);

function readWhole(r: ReadAt, d: string, name: string): string {
  const fd = r.open(d, name);
  const buf = Buffer.alloc(64);
  try {
    const n = r.read(fd, buf);
    t.equal(r.read(fd, buf), 0, 'then the end');
    return buf.subarray(0, n).toString();
  } finally {
    r.close(fd);
  }
}

t.test('files by directory and name; one directory fd kept while the names stay in it, none after release', async (t) => {
  const r = new ReadAt();
  t.equal(readWhole(r, join(dir, 'a'), 'one'), 'first file');
  t.same(openUnder(), [join(dir, 'a')], 'the directory stays open, the file does not');
  t.equal(readWhole(r, join(dir, 'a'), 'two'), 'second');
  t.equal(readWhole(r, join(dir, 'b'), 'one'), 'other dir', 'same name, another directory');
  t.same(openUnder(), [join(dir, 'b')], 'one directory at a time');
  r.release();
  t.same(openUnder(), []);
  t.equal(readWhole(r, join(dir, 'a'), 'two'), 'second', 'usable after release');
  r.release();
});

t.test('files are opened read-only with O_NOATIME and O_CLOEXEC', async (t) => {
  const r = new ReadAt();
  t.teardown(() => r.release());
  const fd = r.open(join(dir, 'a'), 'one');
  const flags = fdFlags(fd);
  r.close(fd);
  t.equal(flags & constants.O_NOATIME, constants.O_NOATIME, 'O_NOATIME (root owns the file)');
  t.equal(flags & 0o2000000, 0o2000000, 'O_CLOEXEC');
  t.equal(flags & 3, constants.O_RDONLY, 'read-only');
});

t.test('errors carry the code and the whole path, whether the directory could be opened or not', async (t) => {
  const r = new ReadAt();
  t.teardown(() => r.release());
  t.throws(() => r.open(join(dir, 'a'), 'gone'), { code: 'ENOENT', path: join(dir, 'a', 'gone') });
  t.throws(() => r.open(join(dir, 'nodir'), 'one'), { code: 'ENOENT', path: join(dir, 'nodir', 'one') });
  t.throws(() => r.open(join(dir, 'plain'), 'one'), { code: 'ENOTDIR', path: join(dir, 'plain', 'one') });
  const sub = r.open(dir, 'a');
  t.throws(() => r.read(sub, Buffer.alloc(8)), { code: 'EISDIR' }, 'a directory opens, and fails to read');
  r.close(sub);
  t.equal(readWhole(r, join(dir, 'a'), 'one'), 'first file', 'still usable after failures');
});

t.test('names after the first are looked up in the directory fd kept, not by path (renamed meanwhile)', async (t) => {
  mkdirSync(join(dir, 'c'));
  writeFileSync(join(dir, 'c', 'f'), 'in c');
  writeFileSync(join(dir, 'c', 'g'), 'also in c');
  const r = new ReadAt();
  t.teardown(() => r.release());
  t.equal(readWhole(r, join(dir, 'c'), 'f'), 'in c');
  renameSync(join(dir, 'c'), join(dir, 'c2'));
  t.equal(readWhole(r, join(dir, 'c'), 'g'), 'also in c', 'read through the directory fd, not the path');
});
