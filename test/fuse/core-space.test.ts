// fallocate, SEEK_DATA/SEEK_HOLE, copy_file_range and O_TMPFILE in the overlay core, step for step
// against kernel overlayfs on equal layers (ext4 here, which has every fallocate mode): each step's
// result or errno, the upper dir and the merged tree must be the same.
import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { copyRangeHandles, fallocateHandle, seekHandle } from '../../src/fuse/ops-space.js';
import { current, openHandle, releaseHandle } from '../../src/fuse/ops-file.js';
import type { Overlay } from '../../src/fuse/overlay.js';
import { linkTmpfile, tmpfileHandle } from '../../src/fuse/tmpfile.js';
import { OverlayXattrs } from '../../src/format/index.js';
import { encodeOrigin } from '../../src/fuse/inode.js';
import { fileHandle } from '../../src/sys/handle.js';
import { makeWhiteout, setXattr } from '../../src/sys/index.js';
import * as sp from '../../src/sys/space.js';
import { type CoreScenario, sameAsKernel } from '../helpers/core-twin.js';
import type { LayerDirs } from '../helpers/layers.js';
import { K, sizeAndBlocks, spaceLayers } from '../helpers/space-layers.js';

const { O_RDONLY, O_RDWR, O_WRONLY, O_EXCL } = constants;

/** The shared space layers, with `ld` merged already: its `gone` whited out in the upper. */
function layers(d: LayerDirs): void {
  spaceLayers(d);
  const [l] = d.lowers as [string];
  mkdirSync(join(d.upper, 'ld'));
  makeWhiteout(join(d.upper, 'ld/gone'));
  // As the kernel's first lookup leaves a merged dir (ovl_fix_origin; the core's lookup writes nothing).
  setXattr(join(d.upper, 'ld'), new OverlayXattrs().name('origin'), encodeOrigin(fileHandle(join(l, 'ld'))));
}

type Step = CoreScenario['steps'][number];

/**
 * Steps on open files: `fds` maps a step-local name to an fd (kernel: on the mount) or a handle
 * (core), so one list of operations drives both sides.
 */
class Files {
  readonly k = new Map<string, number>();
  readonly c = new Map<string, number>();

  open(name: string, path: string, flags: number): Step {
    return {
      name: `open ${name} ${path}`,
      kernel: (m) => void this.k.set(name, openSync(join(m, path), flags)),
      core: (ovl) => void this.c.set(name, openHandle(ovl, '/' + path, flags)),
    };
  }

  close(name: string): Step {
    return { name: `close ${name}`, kernel: () => closeSync(this.k.get(name)!), core: (ovl) => releaseHandle(ovl, this.c.get(name)!) };
  }

  /** The same call on the fd (kernel) or on the handle's fd (core). */
  onFd(label: string, name: string, fn: (fd: number) => unknown): Step {
    return { name: label, kernel: () => fn(this.k.get(name)!), core: (ovl) => fn(current(ovl, this.c.get(name)!).fd) };
  }

  fallocate(name: string, mode: number, off: number, len: number): Step {
    return {
      name: `fallocate ${name} mode=${mode} ${off}+${len}`,
      kernel: () => sp.fallocate(this.k.get(name)!, mode, off, len),
      core: (ovl) => fallocateHandle(ovl, this.c.get(name)!, off, len, mode),
    };
  }

  seek(name: string, off: number, whence: number): Step {
    return {
      name: `lseek ${name} ${off} ${whence === sp.SEEK_DATA ? 'SEEK_DATA' : 'SEEK_HOLE'}`,
      kernel: () => sp.seek(this.k.get(name)!, off, whence),
      core: (ovl) => seekHandle(ovl, this.c.get(name)!, off, whence),
    };
  }

  copy(from: string, offIn: number, to: string, offOut: number, len: number, flags = 0): Step {
    return {
      name: `copy_file_range ${from}@${offIn} -> ${to}@${offOut} ${len} flags=${flags}`,
      kernel: () => sp.copyRange(this.k.get(from)!, offIn, this.k.get(to)!, offOut, len, flags),
      core: (ovl) => copyRangeHandles(ovl, this.c.get(from)!, offIn, this.c.get(to)!, offOut, len, flags),
    };
  }

  tmpfile(name: string, dir: string, flags: number): Step {
    return {
      name: `O_TMPFILE ${name} in ${dir}`,
      kernel: (m) => void this.k.set(name, openSync(join(m, dir), sp.O_TMPFILE | flags, 0o640)),
      core: (ovl: Overlay) => void this.c.set(name, tmpfileHandle(ovl, '/' + dir, 0o640, flags)),
    };
  }

  link(name: string, path: string): Step {
    return {
      name: `linkat ${name} ${path}`,
      kernel: (m) => sp.linkFd(this.k.get(name)!, join(m, path)),
      core: (ovl) => linkTmpfile(ovl, this.c.get(name)!, '/' + path),
    };
  }
}

/** Steps over one fresh set of open files. */
const withFiles = (make: (f: Files) => Step[]): Step[] => make(new Files());

const write = (s: string) => (fd: number) => writeSync(fd, s, 0);
const read = (fd: number) => {
  const b = Buffer.alloc(64);
  return b.subarray(0, readSync(fd, b, 0, 64, 0)).toString();
};

await sameAsKernel(t, 'fallocate in every mode ext4 has, then SEEK_DATA/SEEK_HOLE over the holes', {
  setup: layers,
  steps: withFiles((f) => [
    f.open('w', 'big', O_RDWR),
    f.fallocate('w', 0, 16 * K, 8 * K),
    f.fallocate('w', sp.FALLOC_FL_KEEP_SIZE, 24 * K, 8 * K),
    f.onFd('size after KEEP_SIZE', 'w', sizeAndBlocks),
    f.fallocate('w', sp.FALLOC_FL_PUNCH_HOLE | sp.FALLOC_FL_KEEP_SIZE, 2 * K, 4 * K),
    f.fallocate('w', sp.FALLOC_FL_PUNCH_HOLE, 0, K),
    f.fallocate('w', sp.FALLOC_FL_ZERO_RANGE, 8 * K, 2 * K),
    f.fallocate('w', sp.FALLOC_FL_ZERO_RANGE | sp.FALLOC_FL_KEEP_SIZE, 30 * K, 8 * K),
    f.fallocate('w', sp.FALLOC_FL_COLLAPSE_RANGE, 12 * K, 2 * K),
    f.fallocate('w', sp.FALLOC_FL_INSERT_RANGE, 4 * K, 4 * K),
    f.fallocate('w', sp.FALLOC_FL_COLLAPSE_RANGE, 1, K),
    f.fallocate('w', 0x80, 0, K),
    f.onFd('size and blocks', 'w', sizeAndBlocks),
    ...[0, K, 4 * K, 5 * K, 9 * K, 20 * K].flatMap((o) => [f.seek('w', o, sp.SEEK_DATA), f.seek('w', o, sp.SEEK_HOLE)]),
    f.seek('w', 22 * K, sp.SEEK_DATA),
    f.seek('w', 64 * K, sp.SEEK_HOLE),
    f.close('w'),
    f.open('r', 'ro', O_RDONLY),
    f.fallocate('r', 0, 0, K),
    f.seek('r', 0, sp.SEEK_HOLE),
    f.seek('r', 2, sp.SEEK_DATA),
    f.close('r'),
  ]),
});

await sameAsKernel(t, 'copy_file_range between overlay files: lower source, upper target, offsets, bad flags', {
  setup: layers,
  steps: withFiles((f) => [
    f.open('s', 'src', O_RDONLY),
    f.open('d', 'big', O_WRONLY),
    f.copy('s', K, 'd', 2 * K, 3 * K),
    f.copy('s', 0, 'd', 15 * K, 4 * K),
    f.copy('s', 8 * K, 'd', 0, K),
    f.copy('s', 0, 'd', 0, K, 1),
    f.copy('d', 0, 's', 0, K),
    f.copy('d', 0, 'd', K, K),
    f.onFd('size', 'd', sizeAndBlocks),
    f.close('s'),
    f.close('d'),
  ]),
});

await sameAsKernel(t, 'O_TMPFILE: unnamed until linked, parent copied up, link over a whiteout, O_EXCL not linkable', {
  setup: layers,
  steps: withFiles((f) => [
    f.tmpfile('t1', 'ld', O_RDWR),
    f.onFd('write t1', 't1', write('tmp data')),
    f.onFd('stat t1', 't1', (fd) => ({ nlink: fstatSync(fd).nlink, mode: fstatSync(fd).mode.toString(8) })),
    f.link('t1', 'ld/gone'),
    f.link('t1', 'ld/named'),
    f.link('t1', 'ro'),
    f.onFd('read t1', 't1', read),
    f.close('t1'),
    f.tmpfile('t2', '', O_WRONLY),
    f.close('t2'),
    f.tmpfile('t3', '', O_RDWR | O_EXCL),
    f.link('t3', 'never'),
    f.close('t3'),
    f.tmpfile('t4', 'ro', O_RDWR),
    f.tmpfile('t5', 'nope', O_RDWR),
  ]),
});
