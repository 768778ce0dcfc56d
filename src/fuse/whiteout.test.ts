// SharedWhiteout: links of one whiteout per mount, and the kernel's ways out when a link fails
// (ovl_whiteout): EMLINK hands out the shared one and starts a new one; any other error turns
// sharing off; a shared one removed beside the mount is made again.
import { lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import * as fsb from '../sys/fs-bytes.js';
import { layerDirs } from '../../test/helpers/layers.js';
import { isCharWhiteout } from '../format/index.js';
import { SharedWhiteout } from './whiteout.js';

function workDir(t: Test) {
  const d = layerDirs(t, 1, 'ovlkit-shared-whiteout-');
  const work = join(d.work, 'work');
  mkdirSync(work);
  let n = 0;
  return { work, temp: () => join(work, `#${(n++).toString(16)}`) };
}

const isWhiteout = (p: string) => {
  const st = lstatSync(p);
  return isCharWhiteout({ mode: st.mode, rdev: st.rdev });
};

t.test('each whiteout is a link of one made in the work dir', async (t) => {
  const { work, temp } = workDir(t);
  const w = new SharedWhiteout(temp);
  const [a, b] = [w.inWorkdir(), w.inWorkdir()];
  t.not(a, b);
  t.ok(isWhiteout(a) && isWhiteout(b));
  t.equal(lstatSync(a).ino, lstatSync(b).ino, 'one inode');
  t.equal(lstatSync(a).nlink, 3, 'two handed out, one kept');
  t.equal(readdirSync(work).length, 3);
  w.discard(a);
  t.equal(lstatSync(b).nlink, 2, 'an unused one is removed');
});

/** SharedWhiteout with its linkSync (../sys/fs-bytes.js) failing `code` while `failing()` says so. */
async function withFailingLink(t: Test, code: string, failing: () => boolean) {
  const mod = await t.mockImport<typeof import('./whiteout.js')>('./whiteout.js', {
    '../sys/fs-bytes.js': {
      ...fsb,
      linkSync: (from: string, to: string) => {
        if (failing()) throw Object.assign(new Error(code), { code });
        fsb.linkSync(from, to);
      },
    },
  });
  return mod.SharedWhiteout;
}

t.test('EMLINK: the shared whiteout itself is handed out, and the next call starts a new one', async (t) => {
  const { temp } = workDir(t);
  let full = false;
  const W = await withFailingLink(t, 'EMLINK', () => full);
  const w = new W(temp);
  const first = w.inWorkdir();
  full = true;
  const own = w.inWorkdir();
  t.equal(lstatSync(own).nlink, 2, 'the shared one (its link from the first call)');
  t.equal(lstatSync(own).ino, lstatSync(first).ino);
  full = false;
  const next = w.inWorkdir();
  t.not(lstatSync(next).ino, lstatSync(own).ino, 'a new shared one');
  t.equal(lstatSync(next).nlink, 2);
});

t.test('any other link error turns sharing off: one whiteout of its own per call from then on', async (t) => {
  const { temp } = workDir(t);
  let broken = false;
  const W = await withFailingLink(t, 'EPERM', () => broken);
  const w = new W(temp);
  w.inWorkdir();
  broken = true;
  const a = w.inWorkdir();
  broken = false;
  const b = w.inWorkdir();
  const c = w.inWorkdir();
  t.ok([a, b, c].every(isWhiteout));
  t.same([a, b, c].map((p) => lstatSync(p).nlink), [2, 1, 1], 'the shared one, then two of their own');
  t.not(lstatSync(b).ino, lstatSync(c).ino);
});

t.test('a shared whiteout removed beside the mount is made again', async (t) => {
  const { work, temp } = workDir(t);
  const w = new SharedWhiteout(temp);
  w.inWorkdir();
  rmSync(work, { recursive: true });
  mkdirSync(work);
  const a = w.inWorkdir();
  const b = w.inWorkdir();
  t.equal(lstatSync(a).ino, lstatSync(b).ino, 'shared again');
  t.equal(lstatSync(a).nlink, 3);
});
