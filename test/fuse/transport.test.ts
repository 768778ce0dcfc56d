// The /dev/fuse transport end to end: a real mount served by the session loop in its worker, over
// the passthrough LowLevelFs of test/helpers, driven with real syscalls from this process and from
// child processes. Every mount is unmounted in teardown; the test checks nothing is left mounted.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync, existsSync, rmdirSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync,
  unlinkSync, writeFileSync, writeSync, lstatSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type DevMount, mountDev } from '../../src/fuse/session/daemon.js';
import { InitFlag } from '../../src/fuse/protocol/index.js';
import { getXattr, isMounted, listXattrs, setXattr, umountSurely } from '../../src/sys/index.js';

import type { Teardowns } from '../helpers/layers.js';

const helper = new URL('../helpers/passthrough-fs.ts', import.meta.url).href;

interface Served {
  src: string;
  mnt: string;
  mount: DevMount;
  nodes: Int32Array;
}

async function serve(tt: Teardowns, populate: (src: string) => void = () => undefined, attrMs = 1000): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-transport-'));
  const src = join(dir, 'src');
  const mnt = join(dir, 'mnt');
  mkdirSync(src);
  mkdirSync(mnt);
  populate(src);
  const counter = new SharedArrayBuffer(4);
  const mount = mountDev(mnt, { readonly: false, fs: { module: helper, export: 'createPassthroughFs', args: [src, { counter, attrMs }] } });
  tt.teardown(async () => {
    if (isMounted(mnt)) await umountSurely(mnt);
    await mount.closed;
    rmSync(dir, { recursive: true, force: true });
  });
  return { src, mnt, mount, nodes: new Int32Array(counter) };
}

t.test('a live mount answers stat, read, write, create, mkdir, rename, unlink, symlink, link', async (t) => {
  const s = await serve(t, (src) => {
    writeFileSync(join(src, 'a'), 'hello\n');
    mkdirSync(join(src, 'd'));
  }, 0);
  t.ok((await s.mount.ready) & InitFlag.DO_READDIRPLUS, 'READDIRPLUS granted');
  t.equal(readFileSync(join(s.mnt, 'a'), 'utf8'), 'hello\n');
  t.equal(statSync(join(s.mnt, 'a')).ino, statSync(join(s.src, 'a')).ino, 'inode numbers pass through');
  t.same(readdirSync(s.mnt).sort(), ['a', 'd']);
  t.throws(() => statSync(join(s.mnt, 'missing')), { code: 'ENOENT' }, 'a handler error is the reply errno');

  const big = randomBytes(4 << 20);
  writeFileSync(join(s.mnt, 'd', 'big'), big);
  t.ok(readFileSync(join(s.src, 'd', 'big')).equals(big), '4 MiB written through reaches the directory');
  t.ok(readFileSync(join(s.mnt, 'd', 'big')).equals(big), '4 MiB read back through the mount');

  mkdirSync(join(s.mnt, 'd', 'sub'));
  renameSync(join(s.mnt, 'd', 'big'), join(s.mnt, 'd', 'sub', 'moved'));
  t.equal(statSync(join(s.mnt, 'd', 'sub', 'moved')).size, 4 << 20);
  t.notOk(existsSync(join(s.src, 'd', 'big')));
  execFileSync('ln', ['-s', 'sub/moved', join(s.mnt, 'd', 'ln')]);
  t.equal(lstatSync(join(s.mnt, 'd', 'ln')).isSymbolicLink(), true);
  execFileSync('ln', [join(s.mnt, 'a'), join(s.mnt, 'hard')]);
  t.equal(statSync(join(s.mnt, 'a')).nlink, 2);
  unlinkSync(join(s.mnt, 'hard'));
  unlinkSync(join(s.mnt, 'd', 'ln'));
  unlinkSync(join(s.mnt, 'd', 'sub', 'moved'));
  rmdirSync(join(s.mnt, 'd', 'sub'));
  t.same(readdirSync(join(s.src, 'd')), []);
  const fd = openSync(join(s.mnt, 'trunc'), 'w');
  writeSync(fd, 'abcdef');
  closeSync(fd);
  writeFileSync(join(s.mnt, 'trunc'), 'x');
  t.equal(readFileSync(join(s.src, 'trunc'), 'utf8'), 'x', 'O_TRUNC honoured (ATOMIC_O_TRUNC)');
});

t.test('xattrs: size probes and ERANGE are answered by the loop', async (t) => {
  const s = await serve(t, (src) => writeFileSync(join(src, 'f'), ''));
  const f = join(s.mnt, 'f');
  const value = Buffer.alloc(1000, 7);
  setXattr(f, 'user.big', value);
  setXattr(f, 'user.small', 'v');
  // getXattr first asks with 256 bytes (ERANGE for user.big), then probes the size with 0.
  t.ok(getXattr(f, 'user.big')!.equals(value));
  t.equal(getXattr(f, 'user.small')!.toString(), 'v');
  t.equal(getXattr(f, 'user.none'), null, 'ENODATA');
  t.same(listXattrs(f).sort(), ['user.big', 'user.small']);
  const dump = execFileSync('getfattr', ['-d', '--absolute-names', f]).toString();
  t.match(dump, /user\.small="v"/);
  execFileSync('setfattr', ['-x', 'user.small', f]);
  t.same(listXattrs(f), ['user.big']);
});

t.test('10k names across several READDIRPLUS calls; FORGET gives every lookup back', async (t) => {
  const names = Array.from({ length: 10_000 }, (_, i) => `file-with-a-longish-name-${i}`);
  const s = await serve(t, (src) => {
    mkdirSync(join(src, 'big'));
    for (const n of names) writeFileSync(join(src, 'big', n), '');
  });
  const listed = readdirSync(join(s.mnt, 'big'));
  t.equal(listed.length, names.length, 'every name once');
  t.same(new Set(listed), new Set(names));
  for (const n of listed) statSync(join(s.mnt, 'big', n));
  t.ok(Atomics.load(s.nodes, 0) > names.length, `the walk made nodes (${Atomics.load(s.nodes, 0)})`);
  // Drop the kernel's dentries and inodes: FORGET/BATCH_FORGET must bring the table back to the root.
  let left = 0;
  for (let i = 0; i < 100; i++) {
    writeFileSync('/proc/sys/vm/drop_caches', '2');
    left = Atomics.load(s.nodes, 0);
    if (left === 1) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(left, 1, 'only the root is left');
});

t.test('an external umount ends the session cleanly and leaves nothing mounted', async (t) => {
  const s = await serve(t);
  execFileSync('umount', [s.mnt]);
  await s.mount.closed;
  t.notOk(isMounted(s.mnt));
  t.notOk(readFileSync('/proc/self/mountinfo', 'utf8').includes(s.mnt));
});
