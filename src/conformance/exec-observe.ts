// The ops that observe what node:fs cannot: MAP_SHARED mmap with msync (in one op, or a mapping
// held across other ops), O_DIRECT, statx, ctime across a change, d_ino against st_ino, execve of a file in the overlay and a process held
// running it (ETXTBSY), inode flags read and set as lsattr and chattr do. Run in the worker like
// every op (exec-op.ts); errors are results.
import * as nodeFs from 'node:fs';
import * as fsBytes from '../sys/fs-bytes.js';
import { join } from 'node:path';
import {
  FS_APPEND_FL,
  FS_IMMUTABLE_FL,
  FS_NOATIME_FL,
  FS_SYNC_FL,
  fileattrOf,
  holdProgram,
  listDirents,
  mapShared,
  openForFileattr,
  runProgram,
  setFileattrOf,
  setXattr,
  statxOf,
  STATX_BTIME,
  withAlignedBuffer,
  withSharedMapping,
} from '../sys/index.js';
import type { ExecContext, RawValue } from './exec-op.js';
import type { ChattrFlag, CtimeVia, Op } from './ops.js';
import { contentObs } from './raw.js';

// node:fs with its path functions taking names as bytes (a scenario may use names that are not UTF-8).
const fs = { ...nodeFs, ...fsBytes };

const K = fs.constants;
const BLOCK = 4096;
const STATX_FIELDS = ['type', 'mode', 'nlink', 'uid', 'gid', 'atime', 'mtime', 'ctime', 'ino', 'size', 'blocks', 'btime', 'mnt_id', 'dioalign'];
const ATTRIBUTES: Record<number, string> = { 0x4: 'compressed', 0x10: 'immutable', 0x20: 'append', 0x40: 'nodump', 0x400: 'encrypted', 0x1000: 'automount', 0x2000: 'mount_root', 0x100000: 'verity', 0x200000: 'dax' };

const bits = (v: bigint | number, names: Record<number, string>) =>
  Object.entries(names)
    .filter(([b]) => (BigInt(v) & BigInt(b)) !== 0n)
    .map(([, n]) => n);

function mmapOp(path: string, offset: number, data: string): RawValue {
  const fd = fs.openSync(path, K.O_RDWR);
  try {
    const size = fs.fstatSync(fd).size;
    return withSharedMapping(fd, size, true, path, (mem) => {
      const before = contentObs(Buffer.from(mem));
      // Only inside the file: a store past EOF in the last page is never written back.
      mem.set(Buffer.from(data).subarray(0, Math.max(0, size - offset)), Math.min(offset, size));
      return { content: before };
    });
  } finally {
    fs.closeSync(fd);
  }
}

// One page: every file a scenario makes is smaller, and the file may grow under a held mapping.
const MAP_LENGTH = BLOCK;

function mapOpen(ctx: ExecContext, path: string, access: 'r' | 'rw', n: number): void {
  unmapHeld(ctx, n, false);
  const fd = fs.openSync(path, access === 'rw' ? K.O_RDWR : K.O_RDONLY);
  try {
    ctx.maps.set(n, { fd, map: mapShared(fd, MAP_LENGTH, access === 'rw', path) });
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

function heldMap(ctx: ExecContext, n: number) {
  const h = ctx.maps.get(n);
  if (!h) throw Object.assign(new Error('no such mapping'), { code: 'EBADF' });
  // A page wholly past EOF faults (SIGBUS): touch only bytes the file has now.
  return { ...h, size: Math.min(fs.fstatSync(h.fd).size, MAP_LENGTH) };
}

function mapWrite(ctx: ExecContext, n: number, offset: number, data: string): void {
  const h = heldMap(ctx, n);
  // A store to a PROT_READ mapping faults (SIGSEGV); say so as the errno mprotect would.
  if (!h.map.writable) throw Object.assign(new Error('read-only mapping'), { code: 'EACCES' });
  h.map.mem().set(Buffer.from(data).subarray(0, Math.max(0, h.size - offset)), Math.min(offset, h.size));
}

function unmapHeld(ctx: ExecContext, n: number, must: boolean): void {
  const h = ctx.maps.get(n);
  if (!h) {
    if (must) throw Object.assign(new Error('no such mapping'), { code: 'EBADF' });
    return;
  }
  ctx.maps.delete(n);
  // msync first: a store left in the mapping reaches the file before anything compares it.
  try {
    if (h.map.writable) h.map.sync();
  } finally {
    try {
      h.map.unmap();
    } finally {
      fs.closeSync(h.fd);
    }
  }
}

/**
 * Release every mapping the scenario still holds as the unmap op does (msync, munmap, close), all
 * of them even when one fails; the first failure is thrown after.
 */
export function unmapAll(ctx: ExecContext): void {
  let first: unknown;
  for (const n of [...ctx.maps.keys()]) {
    try {
      unmapHeld(ctx, n, false);
    } catch (e) {
      first ??= e;
    }
  }
  if (first !== undefined) throw first;
}

function directOp(path: string, data: string | undefined): RawValue {
  const fd = fs.openSync(path, (data === undefined ? K.O_RDONLY : K.O_RDWR) | K.O_DIRECT);
  try {
    return withAlignedBuffer(BLOCK, (buf) => {
      if (data !== undefined) {
        buf.fill(data.length ? data : '\n');
        fs.writeSync(fd, buf, 0, BLOCK, 0);
      }
      const n = fs.readSync(fd, buf, 0, BLOCK, 0);
      return { content: contentObs(Buffer.from(buf.subarray(0, n))) };
    });
  } finally {
    fs.closeSync(fd);
  }
}

function statxOp(path: string): RawValue {
  const s = statxOf(path);
  const out: Record<string, string | number> = {
    mask: bits(s.mask, Object.fromEntries(STATX_FIELDS.map((n, i) => [1 << i, n]))).join(','),
    attributes: bits(s.attributes, ATTRIBUTES).join(','),
    attributesMask: bits(s.attributesMask, ATTRIBUTES).join(','),
    blksize: s.blksize,
  };
  // Birth time is "now" for everything a scenario makes, and its relation to ctime depends on when
  // the kernel's own xattr writes land in the clock tick: only whether it is given is compared
  // (the mask), and that it is not in the future.
  if (s.mask & STATX_BTIME) out.btime = s.btimeNs! <= BigInt(Date.now() + 1000) * 1_000_000n ? 'past' : 'future';
  if (s.dioMemAlign !== undefined) out.dio = `${s.dioMemAlign}/${s.dioOffsetAlign}`;
  return { fields: out };
}

/** lsattr's letters for the inode flags (e2fsprogs' order); bits it has no letter for in hex. */
const FLAG_LETTERS: Array<[number, string]> = [
  [0x1, 's'], [0x2, 'u'], [0x8, 'S'], [0x10000, 'D'], [0x10, 'i'], [0x20, 'a'], [0x40, 'd'], [0x80, 'A'], [0x4, 'c'],
  [0x800, 'E'], [0x4000, 'j'], [0x1000, 'I'], [0x8000, 't'], [0x20000, 'T'], [0x80000, 'e'], [0x800000, 'C'],
  [0x2000000, 'x'], [0x40000000, 'F'], [0x10000000, 'N'], [0x20000000, 'P'], [0x100000, 'V'], [0x400, 'm'],
];
const CHATTR_BITS: Record<string, number> = { a: FS_APPEND_FL, i: FS_IMMUTABLE_FL, A: FS_NOATIME_FL, S: FS_SYNC_FL };

/** The flags word of `path`, opened as chattr and lsattr open it (no follow, no wait on a fifo). */
function withFlagsFd<T>(path: string, use: (fd: number, flags: number) => T): T {
  const fd = openForFileattr(path, false);
  try {
    return use(fd, fileattrOf(fd, 'flags', path).readUInt32LE(0));
  } finally {
    fs.closeSync(fd);
  }
}

function lsattrOp(path: string): RawValue {
  return withFlagsFd(path, (_fd, flags) => {
    let rest = flags;
    let text = '';
    for (const [bit, letter] of FLAG_LETTERS) {
      if (flags & bit) text += letter;
      rest &= ~bit;
    }
    return { text: rest ? `${text} 0x${(rest >>> 0).toString(16)}` : text || '-' };
  });
}

/** chattr +X / -X: the flags read, the one bit changed, written back whole (as chattr does). */
function chattrOp(path: string, flag: ChattrFlag): void {
  withFlagsFd(path, (fd, flags) => {
    const bit = CHATTR_BITS[flag[1]!]!;
    const word = Buffer.alloc(4);
    word.writeUInt32LE((flag[0] === '+' ? flags | bit : flags & ~bit) >>> 0, 0);
    setFileattrOf(fd, 'flags', word, path);
  });
}

const rel = (a: bigint, b: bigint) => (b > a ? 'later' : b === a ? 'same' : 'earlier');

function ctimeOp(path: string, via: CtimeVia): RawValue {
  const before = fs.lstatSync(path, { bigint: true });
  if (via === 'chown') fs.lchownSync(path, -1, -1);
  else if (via === 'chmod') fs.chmodSync(path, Number(before.mode) & 0o7777);
  else if (via === 'xattr') setXattr(path, 'user.c', 'x');
  else fs.readFileSync(path);
  const after = fs.lstatSync(path, { bigint: true });
  return { fields: { ctime: rel(before.ctimeNs, after.ctimeNs), mtime: rel(before.mtimeNs, after.mtimeNs) } };
}

function direntsOp(path: string): RawValue {
  const out: Record<string, string> = {};
  for (const d of listDirents(path)) {
    try {
      const st = fs.lstatSync(join(path, d.name), { bigint: true });
      // BigIntStats' ino is signed: an xino=on number above 2^63 would never equal getdents' d_ino.
      out[d.name] = BigInt.asUintN(64, st.ino) === d.ino ? d.type : `${d.type} d_ino!=st_ino`;
    } catch (e) {
      out[d.name] = `${d.type} lstat ${(e as NodeJS.ErrnoException).code ?? 'error'}`;
    }
  }
  return { fields: out };
}

async function spawnOp(ctx: ExecContext, path: string, n: number): Promise<void> {
  ctx.procs.get(n)?.stop();
  ctx.procs.delete(n);
  ctx.procs.set(n, await holdProgram(path, 'sleep', ['60'], ctx.scratch));
}

/** Run one of this module's ops; undefined when `o` is not one of them. */
export async function runObserveOp(ctx: ExecContext, o: Op): Promise<RawValue | void | 'not mine'> {
  const p = (rel: string) => join(ctx.merged, rel);
  switch (o.op) {
    case 'mmap':
      return mmapOp(p(o.path), o.offset, o.data);
    case 'mapOpen':
      return mapOpen(ctx, p(o.path), o.access, o.map);
    case 'mapRead': {
      const h = heldMap(ctx, o.map);
      return { content: contentObs(Buffer.from(h.map.mem().subarray(0, h.size))) };
    }
    case 'mapWrite':
      return mapWrite(ctx, o.map, o.offset, o.data);
    case 'unmap':
      return unmapHeld(ctx, o.map, true);
    case 'direct':
      return directOp(p(o.path), o.data);
    case 'statx':
      return statxOp(p(o.path));
    case 'ctime':
      return ctimeOp(p(o.path), o.via);
    case 'dirents':
      return direntsOp(p(o.path));
    case 'lsattr':
      return lsattrOp(p(o.path));
    case 'chattr':
      return chattrOp(p(o.path), o.flag);
    case 'exec': {
      const r = runProgram(p(o.path), 'echo', ['ok'], 5000, ctx.scratch);
      return { text: `status ${r.status ?? r.signal}: ${r.stdout}` };
    }
    case 'spawn':
      return spawnOp(ctx, p(o.path), o.proc);
    case 'kill': {
      const h = ctx.procs.get(o.proc);
      if (!h) throw Object.assign(new Error('no such process'), { code: 'ESRCH' });
      h.stop();
      return void ctx.procs.delete(o.proc);
    }
    default:
      return 'not mine';
  }
}
