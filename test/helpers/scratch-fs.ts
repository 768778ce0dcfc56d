// Scratch filesystems for a test's layers, made inside the test's own temp tree (layerDirs) and
// unmounted by that tree's teardown, also when the test fails: an ext4 image on a loop device
// (a link costs no inode; a fixed, small number of inodes), tmpfs (a link costs an inode; inode
// numbers from 2 on each), a kernel overlay (a lower that gives no file handles to decode).
// Each is mounted with mount(8), as a user would make it. (A bare temp dir with a tmpfs, for
// tests without layers: test/helpers/scratch.ts.)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMounted, umountSurely } from '../../src/sys/index.js';
import type { LayerDirs, Teardowns } from './layers.js';

/** The part of a LayerDirs these need: its temp dir, and its teardown's list of mounts. */
export type ScratchTree = Pick<LayerDirs, 'root' | 'track'>;

/** Make the dir `at` and mount on it with mount(8) `args`; registered first, so a half-made mount still goes. */
function mountAt(d: ScratchTree, at: string, args: string[]): string {
  mkdirSync(at);
  d.track(at);
  execFileSync('mount', [...args, at]);
  return at;
}

/** Why a test needing an XFS skips (no xfsprogs here), or false. */
export const noXfs: string | false = existsSync('/usr/sbin/mkfs.xfs') || existsSync('/sbin/mkfs.xfs') ? false : 'no mkfs.xfs (xfsprogs)';

/**
 * A new XFS with reflinks of `size` on `at` (an image on a loop device), holding dirs l, u and w
 * made the layers of `d` (lower, upper, work): one filesystem where copy_file_range and FICLONE
 * share blocks.
 */
export function xfsLayersAt(d: ScratchTree & { lowers: string[]; upper: string; work: string }, at: string, size: string): void {
  const img = `${at}.img`;
  execFileSync('truncate', ['-s', size, img]);
  execFileSync('mkfs.xfs', ['-q', '-m', 'reflink=1', img]);
  mountAt(d, at, ['-o', 'loop', img]);
  for (const sub of ['l', 'u', 'w']) mkdirSync(join(at, sub));
  [d.lowers[0], d.upper, d.work] = ['l', 'u', 'w'].map((s) => join(at, s)) as [string, string, string];
}

/** A new ext4 of `size` (truncate's units: '8M') on `at`, from the image `img` on a loop device; `inodes` as mkfs.ext4 -N. */
export function ext4At(d: ScratchTree, at: string, size: string, inodes?: number, img = `${at}.img`): string {
  execFileSync('truncate', ['-s', size, img]);
  execFileSync('mkfs.ext4', ['-q', ...(inodes === undefined ? [] : ['-N', String(inodes)]), img]);
  return mountAt(d, at, ['-o', 'loop', img]);
}

/** `d`'s upper and work dir moved onto a new ext4 of `size` at `<d.root>/disk` (a small or slow disk of their own); returns where it is mounted. */
export function upperOnExt4(d: ScratchTree & { upper: string; work: string }, size: string): string {
  const disk = ext4At(d, join(d.root, 'disk'), size);
  d.upper = join(disk, 'u');
  d.work = join(disk, 'w');
  mkdirSync(d.upper);
  mkdirSync(d.work);
  return disk;
}

export interface StallableDisk {
  /** Where the ext4 is mounted. */
  dir: string;
  /**
   * The disk's image file, on the FUSE mount: its page cache holds what the ext4 wrote, so a read
   * that should reach the (stalled) disk needs its pages dropped too, not only the file's.
   */
  image: string;
  /** From now on, every read or write of the disk that the page cache cannot serve waits. */
  stall(): void;
  /** Let them through. */
  resume(): void;
  /** From now on every read or write the page cache cannot serve fails (EIO), as on a dead disk. */
  fail(): void;
}

/**
 * A new ext4 of `size` on `at` whose disk the test can stall, as a hung disk or a network block
 * device stalls: its image is a file on a fuse-overlayfs mount (`<at>.back/m`), and stall() stops
 * that daemon (SIGSTOP). Resume before anything else is torn down (a process waiting on the disk
 * cannot exit, however it is killed); this teardown resumes it too, then unmounts both.
 */
export async function stallableExt4At(t: Teardowns, d: ScratchTree, at: string, size: string): Promise<StallableDisk> {
  const back = `${at}.back`;
  const [l, u, w, m] = ['l', 'u', 'w', 'm'].map((n) => join(back, n)) as [string, string, string, string];
  for (const p of [l, u, w, m]) mkdirSync(p, { recursive: true });
  const daemon = spawn('fuse-overlayfs', ['-f', '-o', `lowerdir=${l},upperdir=${u},workdir=${w}`, m], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => daemon.on('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  d.track(m);
  t.teardown(async () => {
    daemon.kill('SIGCONT');
    for (const p of [at, m]) if (isMounted(p)) await umountSurely(p);
    const timer = setTimeout(() => daemon.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  });
  for (let i = 0; !isMounted(m); i++) {
    if (gone || i === 500) throw new Error(`fuse-overlayfs did not mount on ${m}`);
    await sleep(10);
  }
  const image = join(m, 'disk.img');
  const dir = ext4At(d, at, size, undefined, image);
  return {
    dir,
    image,
    stall: () => daemon.kill('SIGSTOP'),
    resume: () => daemon.kill('SIGCONT'),
    // A FUSE mount whose daemon is gone answers ENOTCONN, which the loop device passes up as EIO.
    fail: () => daemon.kill('SIGKILL'),
  };
}

/**
 * From now on, writes that process `pid` sends to the disk of the ext4 mounted on `at` (a loop
 * device: ext4At) pass at `bytesPerSec`, as on a slow disk, through a blkio cgroup (v1) of its
 * own; undone in teardown (the process moved back, the cgroup removed). Writeback the process
 * starts itself (sync_file_range, fsync) is its own; the kernel's flusher threads' is not.
 */
export function throttleWrites(t: Teardowns, pid: number, at: string, bytesPerSec: number): void {
  const dev = execFileSync('findmnt', ['-no', 'SOURCE', at], { encoding: 'utf8' }).trim();
  const rdev = statSync(dev).rdev;
  const [major, minor] = [(rdev >> 8) & 0xfff, (rdev & 0xff) | ((rdev >> 12) & 0xfff00)];
  const cg = `/sys/fs/cgroup/blkio/ovlkit-${process.pid}-${pid}`;
  mkdirSync(cg);
  t.teardown(() => {
    try {
      writeFileSync('/sys/fs/cgroup/blkio/cgroup.procs', String(pid));
    } catch {
      // it has exited
    }
    rmdirSync(cg);
  });
  writeFileSync(`${cg}/blkio.throttle.write_bps_device`, `${major}:${minor} ${bytesPerSec}`);
  writeFileSync(`${cg}/cgroup.procs`, String(pid));
}

/** A new tmpfs on `at`, with mount -o `options` ('size=4m,nr_inodes=64') or tmpfs's defaults. */
export function tmpfsAt(d: ScratchTree, at: string, options?: string): string {
  return mountAt(d, at, ['-t', 'tmpfs', ...(options === undefined ? [] : ['-o', options]), 'tmpfs']);
}

/**
 * A kernel overlay on `<root>/k` over new dirs `x` (lower, filled by `lower` first), `y` (upper)
 * and `w` (work) beside it: mounted without nfs_export, its files give no handles to decode.
 */
export function kernelOverlayAt(d: ScratchTree, lower: (x: string) => void = () => undefined): string {
  const [x, y, w] = ['x', 'y', 'w'].map((n) => join(d.root, n)) as [string, string, string];
  for (const p of [x, y, w]) mkdirSync(p);
  lower(x);
  return mountAt(d, join(d.root, 'k'), ['-t', 'overlay', 'overlay', '-o', `lowerdir=${x},upperdir=${y},workdir=${w}`]);
}
