// Runs one scenario operation with plain syscalls and returns what it observed. This runs in the
// worker process (worker.ts), so a target that hangs a syscall only hangs the worker, which the
// runner can kill. Errors are results: every op returns {ok} or {errno}.
import * as nodeFs from 'node:fs';
import * as fsBytes from '../sys/fs-bytes.js';
import { dirname, join } from 'node:path';
import { errnoCodeOf } from '../errors.js';
import { ACL_ACCESS, ACL_DEFAULT, OverlayXattrs, OPAQUE_YES, aclFromText } from '../format/index.js';
import {
  getXattr,
  type HeldProgram,
  type SharedMapping,
  listDirents,
  listXattrs,
  makeWhiteout,
  makedev,
  mknod,
  rereadDirents,
  removeXattr,
  rename2,
  setXattr,
  statVfs,
  syncAll,
} from '../sys/index.js';
import { runObserveOp, unmapAll } from './exec-observe.js';
import type { Op } from './ops.js';
import { type ContentObs, type OpOutcome, type OpValue, type RawStat, contentObs, rawStat, xattrText } from './raw.js';

// node:fs with its path functions taking names as bytes (a scenario may use names that are not UTF-8).
const fs = { ...nodeFs, ...fsBytes };

export type RawValue = OpValue<RawStat>;
export type RawResult = OpOutcome<RawValue>;

/** Where the worker finds things: the mount, the layers (lowers top first), and its open handles. */
export interface ExecContext {
  merged: string;
  lowers: string[];
  upper: string;
  fds: Map<number, number>;
  dirs: Map<number, number>;
  /** An empty dir outside every layer: the cwd of programs the scenario runs. */
  scratch: string;
  /** Processes the scenario holds running (spawn), by number. */
  procs: Map<number, HeldProgram>;
  /** MAP_SHARED mappings the scenario holds (mapOpen), with the fd each maps, by number. */
  maps: Map<number, { fd: number; map: SharedMapping }>;
}

const K = fs.constants;
const ovl = new OverlayXattrs(false);

function openFlags(o: Extract<Op, { op: 'open' }>): number {
  let f = o.access === 'r' ? K.O_RDONLY : o.access === 'w' ? K.O_WRONLY : K.O_RDWR;
  if (o.creat) f |= K.O_CREAT;
  if (o.excl) f |= K.O_EXCL;
  if (o.trunc) f |= K.O_TRUNC;
  if (o.append) f |= K.O_APPEND;
  return f;
}

function handle(map: Map<number, number>, n: number): number {
  const fd = map.get(n);
  if (fd === undefined) throw Object.assign(new Error('no such handle'), { code: 'EBADF' });
  return fd;
}

function pwrite(path: string, flags: number, offset: number | null, data: string, mode = 0o644): void {
  const fd = fs.openSync(path, flags, mode);
  try {
    fs.writeSync(fd, Buffer.from(data), 0, data.length, offset);
  } finally {
    fs.closeSync(fd);
  }
}

function readHeld(fd: number, offset: number, length: number): ContentObs {
  const buf = Buffer.alloc(length);
  const n = fs.readSync(fd, buf, 0, length, offset);
  return contentObs(buf.subarray(0, n));
}

/** A layer change made behind the overlay's back (spec C.2). */
function mutate(ctx: ExecContext, o: Extract<Op, { op: 'mutate' }>): void {
  const root = o.layer < 0 ? ctx.upper : ctx.lowers[o.layer];
  if (root === undefined) throw Object.assign(new Error('no such layer'), { code: 'EINVAL' });
  const p = join(root, o.path);
  const data = o.data ?? '';
  switch (o.action) {
    case 'write':
      return pwrite(p, K.O_WRONLY, 0, data);
    case 'replace': {
      // A new inode under the old name, as editors and package managers do (tmp + rename).
      const tmp = join(dirname(root), '.ovl-check-replace');
      fs.writeFileSync(tmp, data);
      return fs.renameSync(tmp, p);
    }
    case 'delete':
      fs.lstatSync(p);
      return fs.rmSync(p, { recursive: true, force: true });
    case 'add':
      return pwrite(p, K.O_WRONLY | K.O_CREAT | K.O_EXCL, 0, data);
    case 'mkdir':
      return fs.mkdirSync(p, 0o755);
    case 'rename':
      return fs.renameSync(p, join(root, o.to ?? o.path));
    case 'whiteout':
      fs.rmSync(p, { recursive: true, force: true });
      return makeWhiteout(p);
    case 'opaque':
      if (!fs.existsSync(p)) fs.mkdirSync(p, 0o755);
      return setXattr(p, ovl.name('opaque'), OPAQUE_YES);
    case 'chmod':
      return fs.chmodSync(p, o.mode ?? 0o600);
  }
}

/** A listing as a program sees it: the names in getdents order, and sorted for the set comparison. */
function listing(dirents: Array<{ name: string }>): RawValue {
  const order = dirents.map((d) => d.name);
  return { names: [...order].sort(), order };
}

function run(ctx: ExecContext, o: Op): RawValue | void {
  const p = (rel: string) => join(ctx.merged, rel);
  switch (o.op) {
    case 'read':
      return { content: contentObs(fs.readFileSync(p(o.path))) };
    case 'write':
      return void pwrite(p(o.path), K.O_WRONLY, o.offset, o.data);
    case 'append':
      return void pwrite(p(o.path), K.O_WRONLY | K.O_APPEND, null, o.data);
    case 'create':
      return void pwrite(p(o.path), K.O_WRONLY | K.O_CREAT | K.O_TRUNC | (o.excl ? K.O_EXCL : 0), 0, o.data, o.mode);
    case 'open': {
      const fd = fs.openSync(p(o.path), openFlags(o), 0o644);
      if (o.fd === undefined) fs.closeSync(fd);
      else {
        const old = ctx.fds.get(o.fd);
        if (old !== undefined) fs.closeSync(old);
        ctx.fds.set(o.fd, fd);
      }
      return undefined;
    }
    case 'fdRead':
      return { content: readHeld(handle(ctx.fds, o.fd), o.offset, o.length) };
    case 'fdWrite':
      return void fs.writeSync(handle(ctx.fds, o.fd), Buffer.from(o.data), 0, o.data.length, o.offset);
    case 'fdStat':
      return { stat: rawStat(fs.fstatSync(handle(ctx.fds, o.fd), { bigint: true })) };
    case 'close':
      fs.closeSync(handle(ctx.fds, o.fd));
      return void ctx.fds.delete(o.fd);
    case 'truncate':
      return fs.truncateSync(p(o.path), o.size);
    case 'stat':
      return { stat: rawStat(fs.statSync(p(o.path), { bigint: true })) };
    case 'lstat':
      return { stat: rawStat(fs.lstatSync(p(o.path), { bigint: true })) };
    case 'readdir':
      return listing(listDirents(p(o.path)));
    case 'opendir': {
      const fd = fs.openSync(p(o.path), K.O_RDONLY | K.O_DIRECTORY);
      const old = ctx.dirs.get(o.dir);
      if (old !== undefined) fs.closeSync(old);
      ctx.dirs.set(o.dir, fd);
      return listing(rereadDirents(fd));
    }
    case 'relist':
      return listing(rereadDirents(handle(ctx.dirs, o.dir)));
    case 'closedir':
      fs.closeSync(handle(ctx.dirs, o.dir));
      return void ctx.dirs.delete(o.dir);
    default:
      return runNamespaceOp(ctx, o);
  }
}

function runNamespaceOp(ctx: ExecContext, o: Op): RawValue | void {
  const p = (rel: string) => join(ctx.merged, rel);
  switch (o.op) {
    case 'mkdir':
      return fs.mkdirSync(p(o.path), o.mode);
    case 'rmdir':
      return fs.rmdirSync(p(o.path));
    case 'unlink':
      return fs.unlinkSync(p(o.path));
    case 'rename':
      return o.flag ? rename2(p(o.from), p(o.to), [o.flag]) : fs.renameSync(p(o.from), p(o.to));
    case 'link':
      return fs.linkSync(p(o.from), p(o.to));
    case 'symlink':
      return fs.symlinkSync(o.target, p(o.path));
    case 'readlink':
      return { text: fs.readlinkSync(p(o.path)) };
    case 'chmod':
      return fs.chmodSync(p(o.path), o.mode);
    case 'chown':
      return fs.lchownSync(p(o.path), o.uid, o.gid);
    case 'utimes':
      return fs.lutimesSync(p(o.path), o.atime, o.mtime);
    case 'getxattr': {
      const v = getXattr(p(o.path), o.name);
      if (v === null) throw Object.assign(new Error('no data'), { code: 'ENODATA' });
      return { text: xattrText(v, o.name) };
    }
    case 'setxattr':
      return setXattr(p(o.path), o.name, o.value, o.mode ?? 'any');
    case 'listxattr':
      return { names: listXattrs(p(o.path)).sort() };
    case 'setacl':
      return setXattr(p(o.path), o.which === 'access' ? ACL_ACCESS : ACL_DEFAULT, aclFromText(o.acl));
    case 'getacl': {
      const v = getXattr(p(o.path), o.which === 'access' ? ACL_ACCESS : ACL_DEFAULT);
      if (v === null) throw Object.assign(new Error('no data'), { code: 'ENODATA' });
      return { text: xattrText(v, ACL_ACCESS) };
    }
    case 'removexattr':
      return removeXattr(p(o.path), o.name);
    case 'mknod':
      return o.type === 'fifo'
        ? mknod(p(o.path), K.S_IFIFO | o.mode)
        : mknod(p(o.path), K.S_IFCHR | o.mode, makedev(o.major ?? 0, o.minor ?? 0));
    case 'statfs': {
      const v = statVfs(ctx.merged);
      return { statfs: { namemax: v.namemax, fsidSet: v.fsid !== 0n } };
    }
    case 'dropCaches':
      syncAll();
      return fs.writeFileSync('/proc/sys/vm/drop_caches', '3');
    case 'mutate':
      return mutate(ctx, o);
    default:
      throw Object.assign(new Error(`the worker does not run ${o.op}`), { code: 'ENOSYS' });
  }
}

/** Run `o` and capture its outcome; never throws. */
export async function execOp(ctx: ExecContext, o: Op): Promise<RawResult> {
  let root: number[] | null = null;
  try {
    if (o.as !== undefined) root = becomeUser(o.as);
    const mine = await runObserveOp(ctx, o);
    const value = (mine === 'not mine' ? run(ctx, o) : mine) ?? undefined;
    return value === undefined ? { ok: true } : { ok: true, value };
  } catch (e) {
    return { ok: false, errno: errnoCodeOf(e) };
  } finally {
    if (root) becomeRoot(root);
  }
}

/**
 * Take uid `uid` as the effective (and filesystem) uid, its equal as gid and only group: the
 * kernel then checks modes, owners and ACLs for every call until becomeRoot. The worker runs one
 * op at a time and waits on nothing else meanwhile, so no other work runs with these credentials.
 * Returns root's group list; a switch that fails halfway is undone before the error goes on.
 */
function becomeUser(uid: number): number[] {
  const groups = process.getgroups!();
  try {
    process.setgroups!([uid]);
    process.setegid!(uid);
    process.seteuid!(uid);
  } catch (err) {
    becomeRoot(groups);
    throw err;
  }
  return groups;
}

/**
 * Back to root's ids and groups. A worker that cannot get them back would run every later op with
 * the wrong ones and report wrong results as the kernel's or the target's: it stops instead (the
 * runner reports the scenario as failed).
 */
function becomeRoot(groups: number[]): void {
  try {
    process.seteuid!(0);
    process.setegid!(0);
    process.setgroups!(groups);
  } catch (err) {
    process.stderr.write(`ovl-check worker: cannot get root's credentials back: ${String(err)}\n`);
    process.exit(70);
  }
}

/** Close every handle the scenario still holds (before remount and at the end). */
export function closeAll(ctx: ExecContext): void {
  // A mapping keeps its file open, and the mount busy, after its fd is closed: unmap first.
  try {
    unmapAll(ctx);
  } finally {
    closeRest(ctx);
  }
}

function closeRest(ctx: ExecContext): void {
  for (const fd of [...ctx.fds.values(), ...ctx.dirs.values()]) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed by the op itself
    }
  }
  ctx.fds.clear();
  ctx.dirs.clear();
  // A running binary keeps the mount busy: stop it before an unmount.
  for (const p of ctx.procs.values()) p.stop();
  ctx.procs.clear();
}
