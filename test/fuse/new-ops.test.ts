// The ops libfuse 2.9 could not carry, through ovl-fuse on its /dev/fuse transport and through
// kernel overlayfs on equal layers: renameat2 flags, fallocate, SEEK_DATA/SEEK_HOLE,
// copy_file_range and O_TMPFILE. Every step's result or errno, and the merged tree after, must be
// the same. Node has none of these calls: they go through src/sys, as any client's libc would.
import { closeSync, constants, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { type RenameFlag, makeWhiteout, rename2 } from '../../src/sys/index.js';
import * as sp from '../../src/sys/space.js';
import { K, sizeAndBlocks, spaceLayers } from '../helpers/space-layers.js';
import { outcome } from '../helpers/tree.js';
import { type Scenario, runOn, sameOnBoth } from '../helpers/twin.js';

const { O_RDONLY, O_RDWR, O_WRONLY, O_EXCL } = constants;
const DEV = 'transport=dev';

/** Record each step's outcome (and value) under its label, in order. */
function recorder(): [Record<string, unknown>, (label: string, fn: () => unknown) => void] {
  const o: Record<string, unknown> = {};
  return [o, (label, fn) => {
    let value: unknown;
    o[label] = outcome(() => (value = fn()));
    if (value !== undefined) o[`${label} =`] = value;
  }];
}

function renameLayers(d: Parameters<Scenario['setup']>[0]): void {
  const [l] = d.lowers as [string];
  for (const f of ['f', 'g', 'wo']) writeFileSync(join(l, f), f);
  for (const [dir, file] of [['d', 'x'], ['e', 'y'], ['a', 'af'], ['b', 'bf']] as const) {
    mkdirSync(join(l, dir));
    writeFileSync(join(l, dir, file), file);
  }
  writeFileSync(join(d.upper, 'u'), 'u');
  mkdirSync(join(d.upper, 'ud'));
  makeWhiteout(join(d.upper, 'wo'));
}

function renames(m: string, ops: [string, string, RenameFlag[]][]): Record<string, unknown> {
  const [o, step] = recorder();
  for (const [from, to, flags] of ops) step(`${from} -> ${to} [${flags}]`, () => rename2(join(m, from), join(m, to), flags));
  step('root', () => readdirSync(m).sort());
  return o;
}

await sameOnBoth(t, 'renameat2 NOREPLACE, EXCHANGE and WHITEOUT', {
  lowers: 1,
  fuseOptions: DEV,
  setup: renameLayers,
  steps: (m) => renames(m, [
    ['f', 'g', ['noreplace']], ['u', 'f', ['noreplace']], ['f', 'new', ['noreplace']], ['g', 'wo', ['noreplace']],
    ['d', 'dn', ['noreplace']], ['ud', 'udn', ['noreplace']],
    ['new', 'wo', ['exchange']], ['u', 'zz', ['exchange']], ['a/af', 'b/bf', ['exchange']], ['u', 'd', ['exchange']],
    ['u', 'udn', ['exchange']], ['u', 'x2', ['whiteout']], ['wo', 'new', ['noreplace', 'exchange']],
  ]),
});

await sameOnBoth(t, 'renameat2 EXCHANGE of lower dirs with redirect_dir=on', {
  lowers: 1,
  options: 'redirect_dir=on',
  fuseOptions: DEV,
  setup: renameLayers,
  steps: (m) => {
    const o = renames(m, [['d', 'e', ['exchange']], ['u', 'd', ['exchange']], ['a/af', 'e', ['exchange']]]);
    for (const dir of ['u', 'a/af']) o[dir] = readdirSync(join(m, dir)).sort();
    for (const file of ['d', 'e']) o[file] = readFileSync(join(m, file), 'utf8');
    return o;
  },
});


await sameOnBoth(t, 'fallocate modes FUSE carries, then SEEK_DATA/SEEK_HOLE over the holes', {
  lowers: 1,
  fuseOptions: DEV,
  setup: spaceLayers,
  steps: (m) => {
    const [o, step] = recorder();
    const fd = openSync(join(m, 'big'), O_RDWR);
    // The kernel's copy-up fsyncs the copy (ovl_copy_up_file), ovl-fuse's leaves it to writeback;
    // ext4 answers ZERO_RANGE on delayed-allocation blocks differently, so both start on disk.
    step('fsync', () => fsyncSync(fd));
    step('extend (mode 0)', () => sp.fallocate(fd, 0, 16 * K, 8 * K));
    step('KEEP_SIZE past EOF', () => sp.fallocate(fd, sp.FALLOC_FL_KEEP_SIZE, 24 * K, 8 * K));
    step('size after KEEP_SIZE', () => sizeAndBlocks(fd));
    step('PUNCH_HOLE|KEEP_SIZE', () => sp.fallocate(fd, sp.FALLOC_FL_PUNCH_HOLE | sp.FALLOC_FL_KEEP_SIZE, 2 * K, 4 * K));
    step('PUNCH_HOLE alone', () => sp.fallocate(fd, sp.FALLOC_FL_PUNCH_HOLE, 0, K));
    step('ZERO_RANGE', () => sp.fallocate(fd, sp.FALLOC_FL_ZERO_RANGE, 8 * K, 2 * K));
    step('ZERO_RANGE|KEEP_SIZE', () => sp.fallocate(fd, sp.FALLOC_FL_ZERO_RANGE | sp.FALLOC_FL_KEEP_SIZE, 20 * K, 8 * K));
    step('size and blocks', () => sizeAndBlocks(fd));
    for (const off of [0, K, 2 * K, 6 * K, 9 * K, 23 * K, 24 * K, 64 * K]) {
      step(`SEEK_DATA ${off}`, () => sp.seek(fd, off, sp.SEEK_DATA));
      step(`SEEK_HOLE ${off}`, () => sp.seek(fd, off, sp.SEEK_HOLE));
    }
    closeSync(fd);
    const ro = openSync(join(m, 'ro'), O_RDONLY);
    step('fallocate on a read-only fd', () => sp.fallocate(ro, 0, 0, K));
    step('SEEK_HOLE of a lower file', () => sp.seek(ro, 0, sp.SEEK_HOLE));
    step('SEEK_DATA at its EOF', () => sp.seek(ro, 2, sp.SEEK_DATA));
    closeSync(ro);
    step('big', () => readFileSync(join(m, 'big')).toString('hex').replace(/(..)\1+/g, (r, b) => `${b}×${r.length / 2} `));
    return o;
  },
});

await sameOnBoth(t, 'copy_file_range between overlay files', {
  lowers: 1,
  fuseOptions: DEV,
  setup: spaceLayers,
  steps: (m) => {
    const [o, step] = recorder();
    const src = openSync(join(m, 'src'), O_RDONLY);
    const dst = openSync(join(m, 'big'), O_WRONLY);
    step('lower -> copied-up file', () => sp.copyRange(src, K, dst, 2 * K, 3 * K));
    step('past the end of the target', () => sp.copyRange(src, 0, dst, 15 * K, 4 * K));
    step('from EOF', () => sp.copyRange(src, 8 * K, dst, 0, K));
    step('flags', () => sp.copyRange(src, 0, dst, 0, K, 1));
    step('into a read-only fd', () => sp.copyRange(dst, 0, src, 0, K));
    step('size', () => sizeAndBlocks(dst));
    closeSync(src);
    closeSync(dst);
    return o;
  },
});

await sameOnBoth(t, 'O_TMPFILE: unnamed until linked, in a lower dir, over a whiteout, O_EXCL', {
  lowers: 1,
  fuseOptions: DEV,
  setup: spaceLayers,
  steps: (m) => {
    const [o, step] = recorder();
    let fd = -1;
    step('open in ld', () => void (fd = openSync(join(m, 'ld'), sp.O_TMPFILE | O_RDWR, 0o640)));
    step('write', () => writeSync(fd, 'tmp data'));
    step('fstat', () => ({ nlink: fstatSync(fd).nlink, mode: fstatSync(fd).mode.toString(8), size: fstatSync(fd).size }));
    step('ld before link', () => readdirSync(join(m, 'ld')));
    step('unlink ld/gone', () => readdirSync(join(m, 'ld')).forEach(() => rename2(join(m, 'ld/gone'), join(m, 'gone2'))));
    step('link over the whiteout', () => sp.linkFd(fd, join(m, 'ld/gone')));
    step('link again', () => sp.linkFd(fd, join(m, 'ld/named')));
    step('link onto a lower name', () => sp.linkFd(fd, join(m, 'ro')));
    step('fstat after', () => fstatSync(fd).nlink);
    closeSync(fd);
    step('read ld/named', () => readFileSync(join(m, 'ld/named'), 'utf8'));
    let ex = -1;
    step('O_EXCL', () => void (ex = openSync(m, sp.O_TMPFILE | O_RDWR | O_EXCL, 0o600)));
    step('link O_EXCL', () => sp.linkFd(ex, join(m, 'never')));
    closeSync(ex);
    step('in a file', () => openSync(join(m, 'ro'), sp.O_TMPFILE | O_RDWR, 0o600));
    step('root', () => readdirSync(m).sort());
    return o;
  },
});

// Not a choice of ovl-fuse: fs/fuse/file.c fuse_file_fallocate answers EOPNOTSUPP for any mode
// beyond KEEP_SIZE|PUNCH_HOLE|ZERO_RANGE before a request is sent. If a kernel ever forwards them,
// this fails and they join the side-by-side test above.
t.test('COLLAPSE_RANGE and INSERT_RANGE: the kernel overlay passes them on, the FUSE client refuses them', async (t) => {
  const steps = (m: string) => {
    const [o, step] = recorder();
    const fd = openSync(join(m, 'big'), O_RDWR);
    step('COLLAPSE_RANGE', () => sp.fallocate(fd, sp.FALLOC_FL_COLLAPSE_RANGE, 4 * K, 4 * K));
    step('INSERT_RANGE', () => sp.fallocate(fd, sp.FALLOC_FL_INSERT_RANGE, 4 * K, 4 * K));
    closeSync(fd);
    return o;
  };
  const s: Scenario = { lowers: 1, fuseOptions: DEV, setup: spaceLayers, steps };
  const k = await runOn(t, 'kernel', s);
  const f = await runOn(t, 'fuse', s);
  t.same(k.observed, { COLLAPSE_RANGE: 'ok', INSERT_RANGE: 'ok' }, 'kernel overlay on ext4');
  t.same(f.observed, { COLLAPSE_RANGE: 'EOPNOTSUPP', INSERT_RANGE: 'EOPNOTSUPP' }, 'ovl-fuse: refused by the FUSE client');
});
