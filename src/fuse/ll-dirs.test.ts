// Handle-less directory reads (FUSE_NO_OPENDIR_SUPPORT): OPENDIR answers ENOSYS only where the
// kernel would cache every listing anyway and says it can do without OPENDIR; READDIR with fh 0
// then lists from the node's own snapshot, with stable cookies from offset 0 to the end.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveMountOptions } from '../format/index.js';
import t, { type Test } from 'tap';
import { createOverlayFs } from './lowlevel.js';
import type { CacheMode } from './overlay.js';
import { InitFlag } from './protocol/constants.js';
import type { RequestContext, Session } from './session/filesystem.js';

const ctx: RequestContext = { uid: 0, gid: 0, pid: 1 };

function mounted(t: Test, cache: CacheMode, grantedFlags: bigint) {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-lldirs-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const [lower, upper, work] = ['lower', 'upper', 'work'].map((n) => join(root, n)) as [string, string, string];
  for (const d of [lower, upper, work, join(work, 'work'), join(lower, 'd')]) mkdirSync(d);
  for (const n of ['a', 'b', 'c']) writeFileSync(join(lower, 'd', n), n);
  const fs = createOverlayFs(resolveMountOptions({ lowerdirs: [lower], datadirs: [], upperdir: upper, workdir: work, extra: {} }), cache);
  const noop = () => {};
  fs.init({ invalInode: noop, invalEntry: noop, backingOpen: () => null, backingClose: noop, watchFd: noop, grantedFlags } as Session);
  t.teardown(() => fs.destroy());
  return { fs, d: fs.lookup(ctx, 1, 'd').nodeid };
}

const names = (it: Iterable<{ name: string }>) => [...it].map((e) => e.name);

t.test('cache=always on a kernel that offers it: ENOSYS once, then fh 0 reads the node', async (t) => {
  const { fs, d } = mounted(t, 'always', InitFlag.NO_OPENDIR_SUPPORT);
  t.throws(() => fs.opendir(ctx, d, 0), { code: 'ENOSYS' });
  const all = [...fs.readdir(ctx, d, 0, 0)];
  t.same(all.map((e) => e.name).sort(), ['.', '..', 'a', 'b', 'c']);
  fs.unlink(ctx, d, 'a');
  t.same(names(fs.readdir(ctx, d, 0, all[1]!.off)), all.slice(2).map((e) => e.name), 'cookies index the snapshot taken at offset 0');
  t.same(names(fs.readdir(ctx, d, 0, all.at(-1)!.off)), [], 'the end');
  t.notOk(names(fs.readdir(ctx, d, 0, 0)).includes('a'), 'a read from 0 takes the listing again');
  t.throws(() => fs.opendir(ctx, 1, 0), { code: 'ENOSYS' }, 'for every dir');
});

t.test('OPENDIR stays where the kernel must not keep listings, or cannot go without it', async (t) => {
  const never = mounted(t, 'never', InitFlag.NO_OPENDIR_SUPPORT);
  t.equal(never.fs.opendir(ctx, never.d, 0).openFlags, 0, 'cache=never');
  t.throws(() => [...never.fs.readdir(ctx, never.d, 0, 0)], { code: 'EBADF' }, 'and fh 0 is no handle');
  const auto = mounted(t, 'auto', InitFlag.NO_OPENDIR_SUPPORT);
  t.ok(auto.fs.opendir(ctx, auto.d, 0).fh > 0, 'cache=auto without a watcher');
  const old = mounted(t, 'always', 0n);
  t.ok(old.fs.opendir(ctx, old.d, 0).fh > 0, 'a kernel without FUSE_NO_OPENDIR_SUPPORT');
});

t.test('handle-less readers of one dir at once each go on in the listing they started', async (t) => {
  // Every reader shares fh 0: a second reader's READDIR from 0 takes the listing afresh, and the
  // first reader's next cookie must still read its own (a review saw names twice or never).
  const { fs, d } = mounted(t, 'always', InitFlag.NO_OPENDIR_SUPPORT);
  t.throws(() => fs.opendir(ctx, d, 0), { code: 'ENOSYS' });
  const other = { ...ctx, pid: 2 };
  const first = [...fs.readdir(ctx, d, 0, 0)];
  const [head, rest] = [first.slice(0, 3), first.slice(3)];
  fs.unlink(ctx, d, head[2]!.name === 'a' ? 'b' : 'a');
  fs.create(ctx, d, 'e', 0o100644, 1, 0);
  const second = names(fs.readdir(other, d, 0, 0));
  t.ok(second.includes('e'), 'the second reader sees the dir as it is now');
  t.same(names(fs.readdir(ctx, d, 0, head.at(-1)!.off)), rest.map((e) => e.name), 'the first reader goes on in its own listing');
  t.same([...first.map((e) => e.name)].sort(), ['.', '..', 'a', 'b', 'c'], 'each name of it once');
});

t.test('every listing of a dir gives a name the same cookie, so any reader finds its place in any of them', async (t) => {
  // The kernel keeps one dir cache per dir, filled by one reader's stream, and every other reader
  // looks its position up there; where that cache ends at a page boundary a position not in it
  // reads as the end of the dir (6.18's fuse_readdir_cached): two readers of a 128-entry dir at once
  // cut one short when each listing had cookies of its own.
  const { fs, d } = mounted(t, 'always', InitFlag.NO_OPENDIR_SUPPORT);
  t.throws(() => fs.opendir(ctx, d, 0), { code: 'ENOSYS' });
  const cookies = (l: Array<{ name: string; off: number }>) => Object.fromEntries(l.map((e) => [e.name, e.off]));
  const first = [...fs.readdir(ctx, d, 0, 0)];
  const second = [...fs.readdir({ ...ctx, pid: 2 }, d, 0, 0)];
  t.same(cookies(second), cookies(first), 'the same names, the same cookies');
  fs.unlink(ctx, d, 'b');
  fs.create(ctx, d, 'e', 0o100644, 1, 0);
  const third = [...fs.readdir({ ...ctx, pid: 3 }, d, 0, 0)];
  const kept = cookies(third);
  for (const n of ['.', '..', 'a', 'c']) t.equal(kept[n], cookies(first)[n], `${n} keeps its cookie after a change`);
  t.notOk(Object.values(cookies(first)).includes(kept.e!), 'the new name has a cookie of its own');
  // A fourth process that read up to `a` in the first listing goes on after a's place in the newest.
  const a = first.findIndex((e) => e.name === 'a');
  const tail = names(fs.readdir({ ...ctx, pid: 4 }, d, 0, first[a]!.off));
  t.same(tail.filter((n) => n !== 'e'), first.slice(a + 1).map((e) => e.name).filter((n) => n !== 'b'), 'the names after a, b gone');
});

t.test('READDIRPLUS after a name in the dir changed does not take the listing\'s resolution of it', async (t) => {
  // Its lookup would hand the kernel an entry, valid for a minute, for a name that is gone: the
  // next create of that name then went to the dead node (ENOENT, under ls -f beside rm+create).
  const { fs, d } = mounted(t, 'always', InitFlag.NO_OPENDIR_SUPPORT);
  t.throws(() => fs.opendir(ctx, d, 0), { code: 'ENOSYS' });
  const all = [...fs.readdir(ctx, d, 0, 0)];
  const at = all.findIndex((e) => e.name === 'c');
  fs.unlink(ctx, d, 'c');
  const seen: Array<[string, number]> = [];
  for (const e of fs.readdir(ctx, d, 0, all[at - 1]!.off)) {
    // What the loop does for each entry it sends in a READDIRPLUS reply.
    let id = 0;
    try {
      id = fs.lookup(ctx, d, e.name).nodeid;
    } catch {
      id = -1;
    }
    seen.push([e.name, id]);
  }
  t.equal(seen[0]![0], 'c', 'still listed (POSIX leaves that open)');
  t.ok(seen[0]![1] <= 0, 'but looked up afresh: no entry for it');
});

t.test('a handle-less listing read to its end still answers its cookies', async (t) => {
  // Other readers may have read its head from the kernel's dir cache and go on from their cookie
  // once that cache is dropped (a dir change): they must get the same listing's tail.
  const { fs, d } = mounted(t, 'always', InitFlag.NO_OPENDIR_SUPPORT);
  t.throws(() => fs.opendir(ctx, d, 0), { code: 'ENOSYS' });
  const all = [...fs.readdir(ctx, d, 0, 0)];
  t.same([...fs.readdir(ctx, d, 0, all.at(-1)!.off)], [], 'read to its end');
  // A name after the first, so that a cookie leads to it.
  const at = all.findIndex((e, i) => i > 0 && e.name !== '.' && e.name !== '..');
  fs.unlink(ctx, d, all[at]!.name);
  fs.create(ctx, d, 'e', 0o100644, 1, 0);
  t.same(names(fs.readdir(ctx, d, 0, all[at - 1]!.off)), all.slice(at).map((e) => e.name), 'its tail, as it was, the unlinked name included');
});
