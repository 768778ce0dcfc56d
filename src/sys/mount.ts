// Kernel overlay mounts and unmounts. Mounting goes through the new mount API (fsopen/fsconfig):
// it takes each layer as its own `lowerdir+` string, so 500 absolute lower paths fit (mount(2)'s
// data is cut at one page), and the kernel's own error text can be read back from the fs context.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { OvlError } from '../errors.js';
import { cPath, decodeName } from '../format/byte-names.js';
import { type MountOptions, formatMountOptions, parseMountOptions, resolveMountOptions } from '../format/index.js';
import { check, throwErrno } from './call.js';
import { mountIdOf } from './statx.js';
import {
  AT_FDCWD,
  FSCONFIG_CMD_CREATE,
  FSCONFIG_SET_FLAG,
  FSCONFIG_SET_STRING,
  FSMOUNT_CLOEXEC,
  FSOPEN_CLOEXEC,
  MNT_DETACH,
  MOVE_MOUNT_F_EMPTY_PATH,
  c,
} from './libc.js';

/**
 * Explain a refused mount. overlayfs reports its reasons with pr_err (dmesg), not in the fs
 * context log, so the reason given is our own option rules' verdict, which mirrors the kernel's
 * wording; when they find nothing wrong the cause is in the directories (e.g. overlapping layers).
 */
function refused(o: MountOptions, op: string, target: string): never {
  let why = `${op} refused`;
  try {
    resolveMountOptions(o);
  } catch (e) {
    why = (e as Error).message;
  }
  return throwErrno('mount overlay', target, { why });
}

/** The fsconfig(2) calls that express one option set: one `lowerdir+` per layer, then the rest. */
function fsconfigCalls(o: MountOptions): Array<[number, string, string | null]> {
  const calls: Array<[number, string, string | null]> = [];
  for (const l of o.lowerdirs) calls.push([FSCONFIG_SET_STRING, 'lowerdir+', l]);
  for (const d of o.datadirs) calls.push([FSCONFIG_SET_STRING, 'datadir+', d]);
  if (o.upperdir !== undefined) calls.push([FSCONFIG_SET_STRING, 'upperdir', o.upperdir]);
  if (o.workdir !== undefined) calls.push([FSCONFIG_SET_STRING, 'workdir', o.workdir]);
  // The remaining options go through the same parser the kernel uses for mount(2) data.
  const rest = formatMountOptions({ ...o, lowerdirs: [], datadirs: [], upperdir: undefined, workdir: undefined });
  for (const token of rest.split(',').filter((t) => t.length > 0)) {
    const eq = token.indexOf('=');
    if (eq < 0) calls.push([FSCONFIG_SET_FLAG, token, null]);
    else calls.push([FSCONFIG_SET_STRING, token.slice(0, eq), token.slice(eq + 1)]);
  }
  return calls;
}

/** Mount kernel overlayfs at `target`. `options` is a kernel option string or parsed options. */
export function mountOverlay(options: string | MountOptions, target: string): void {
  const o = typeof options === 'string' ? parseMountOptions(options) : options;
  const fd = check(c.fsopen('overlay', FSOPEN_CLOEXEC) as number, 'fsopen', target);
  try {
    for (const [cmd, key, value] of fsconfigCalls(o)) {
      if ((c.fsconfig(fd, cmd, key, value === null ? null : cPath(value), 0) as number) < 0) refused(o, `${key}${value === null ? '' : '=' + value}`, target);
    }
    if ((c.fsconfig(fd, FSCONFIG_CMD_CREATE, null, null, 0) as number) < 0) refused(o, 'superblock creation', target);
    const mfd = check(c.fsmount(fd, FSMOUNT_CLOEXEC, 0) as number, 'fsmount', target);
    try {
      check(c.move_mount(mfd, '', AT_FDCWD, cPath(target), MOVE_MOUNT_F_EMPTY_PATH) as number, 'move_mount', target);
    } finally {
      c.close(mfd);
    }
  } finally {
    c.close(fd);
  }
}

/** Unmount whatever is mounted at `target` (kernel overlay or FUSE). `lazy` detaches a busy mount. */
export function umount(target: string, { lazy = false } = {}): void {
  check(c.umount2(cPath(target), lazy ? MNT_DETACH : 0) as number, 'umount', target);
}

/**
 * A path field of mountinfo (read as latin1: one char per byte) with its octal escapes (spaces,
 * tabs, newlines, backslashes) decoded, as the string holding its bytes (src/format/byte-names.ts):
 * a path that is not UTF-8 compares equal to the same path given on the command line.
 */
function unmangle(s: string): string {
  return decodeName(Buffer.from(unescapeOctal(s), 'latin1'));
}

/** mountinfo's octal escapes (`\054` for a comma, `\040` for a space) undone, one char per escape. */
export function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The mount holding `path` (followed if a link), found by its id in `mounts`; undefined when not listed. */
export function mountOf(path: string, mounts: readonly MountEntry[] = listMounts()): MountEntry | undefined {
  const id = Number(mountIdOf(path));
  return mounts.find((m) => m.id === id);
}

export interface MountEntry {
  target: string;
  /** "major:minor" of the mounted filesystem (st_dev; names its bdi in /sys/class/bdi). */
  dev: string;
  fstype: string;
  source: string;
  superOptions: string;
  /** The mount's own flags as mountinfo lists them (`rw,nosuid,relatime`). */
  mountOptions: string;
  /** The dir of its filesystem mounted here ('/' but for a bind mount of a subdir). */
  root: string;
  /** mountinfo's mount id and its parent's: a mount stacked on another at one path has it as parent. */
  id: number;
  parentId: number;
}

/** The mounts of this process's namespace, from /proc/self/mountinfo. */
export function listMounts(): MountEntry[] {
  return readFileSync('/proc/self/mountinfo', 'latin1')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const [pre, post = ''] = line.split(' - ');
      const fields = pre!.split(' ');
      const [fstype = '', source = '', superOptions = ''] = post.split(' ');
      return {
        target: unmangle(fields[4] ?? ''), dev: fields[2] ?? '', fstype, source: unmangle(source), superOptions: decodeName(Buffer.from(superOptions, 'latin1')), mountOptions: fields[5] ?? '', root: unmangle(fields[3] ?? '/'),
        id: Number(fields[0]), parentId: Number(fields[1]),
      };
    });
}

/**
 * The mount umount(2) of `target` would remove: the one on top of every other mount there. Not the
 * last listed: mountinfo is in creation order, and `mount --move` can put an older mount on top.
 */
export function topMountAt(target: string): MountEntry | undefined {
  const here = listMounts().filter((m) => m.target === target);
  if (here.length === 0) return undefined;
  // Start from the mount the path really goes through: its parent dir's. Mounts at this path
  // hidden under a later mount of an ancestor are not reachable, whatever stacks on them.
  const below = Number(mountIdOf(dirname(target)));
  let top = target === '/' ? here.find((m) => m.id === below) : here.find((m) => m.parentId === below);
  for (let up = top; up !== undefined; up = here.find((m) => m.parentId === top!.id)) top = up;
  return top;
}

/** True when `target` is itself a mount point. */
export function isMounted(target: string): boolean {
  return listMounts().some((m) => m.target === target);
}

/**
 * Unmount `target`, retrying while it is busy (a closing fd, a FUSE daemon finishing a reply),
 * then detaching lazily so a test or a run never leaves a mount behind.
 */
export async function umountSurely(target: string, { attempts = 20, delayMs = 50 } = {}): Promise<void> {
  for (let i = 0; i < attempts && isMounted(target); i++) {
    try {
      umount(target);
      return;
    } catch (err) {
      if (!(err instanceof OvlError) || err.code !== 'EBUSY') {
        if (!isMounted(target)) return;
        if (err instanceof OvlError && err.code === 'EINVAL') return; // not a mount point any more
        throw err;
      }
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
  if (isMounted(target)) umount(target, { lazy: true });
}

/** Mount a kernel overlay for the duration of `fn`; it is unmounted afterwards, also when `fn` throws. */
export async function withMount<T>(options: string | MountOptions, target: string, fn: () => T | Promise<T>): Promise<T> {
  mountOverlay(options, target);
  try {
    return await fn();
  } finally {
    await umountSurely(target);
  }
}
