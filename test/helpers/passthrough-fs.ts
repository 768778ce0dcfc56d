// A small read-write passthrough LowLevelFs over a plain directory: the session loop's own test
// target and the "transport alone" benchmark. Node ids map to paths; lookup counts are kept as the
// contract says, and the live node count is published in a SharedArrayBuffer so a test on the
// main thread can watch FORGET give them back.
import {
  closeSync, fstatSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readSync, readlinkSync, renameSync,
  rmdirSync, symlinkSync, truncateSync, unlinkSync, writeSync, chmodSync, lchownSync, type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { OvlError } from '../../src/errors.js';
import type {
  AttrReply, DirEntry, Entry, LowLevelFs, Opened, RequestContext, SetAttr, Statfs, XattrNames,
} from '../../src/fuse/session/filesystem.js';
import { listXattrs, mknod, readDirents, removeXattr, rename2, setTimes, setXattr, getXattr } from '../../src/sys/index.js';
import { statfsSync } from 'node:fs';

export interface PassthroughOptions {
  entryMs?: number;
  attrMs?: number;
  /** Int32 slot 0 receives the number of live nodes (root included). */
  counter?: SharedArrayBuffer;
}

interface Node { path: string; nlookup: number }

const DT: Record<string, number> = { file: 8, dir: 4, symlink: 10, fifo: 1, char: 2, block: 6, socket: 12, unknown: 0 };

function attrOf(st: Stats) {
  const sec = (ms: number) => Math.floor(ms / 1000);
  const nsec = (ms: number) => Math.round((ms - Math.floor(ms / 1000) * 1000) * 1e6);
  return {
    ino: st.ino, size: st.size, blocks: st.blocks,
    atimeSec: sec(st.atimeMs), atimeNsec: nsec(st.atimeMs),
    mtimeSec: sec(st.mtimeMs), mtimeNsec: nsec(st.mtimeMs),
    ctimeSec: sec(st.ctimeMs), ctimeNsec: nsec(st.ctimeMs),
    mode: st.mode, nlink: st.nlink, uid: st.uid, gid: st.gid, rdev: st.rdev, blksize: st.blksize,
  };
}

export class PassthroughFs implements LowLevelFs {
  private nodes = new Map<number, Node>([[1, { path: '', nlookup: 1 }]]);
  private byPath = new Map<string, number>([['', 1]]);
  private next = 2;
  private dirs = new Map<number, DirEntry[]>();
  private nextFh = 1;
  private count: Int32Array | null;
  private entryMs: number;
  private attrMs: number;

  constructor(private root: string, o: PassthroughOptions = {}) {
    this.entryMs = o.entryMs ?? 1000;
    this.attrMs = o.attrMs ?? 1000;
    this.count = o.counter ? new Int32Array(o.counter) : null;
    this.publish();
  }

  private publish(): void {
    if (this.count) Atomics.store(this.count, 0, this.nodes.size);
  }

  private rel(nodeid: number): string {
    const n = this.nodes.get(nodeid);
    if (!n) throw new OvlError('ESTALE', `unknown node ${nodeid}`);
    return n.path;
  }

  private abs(nodeid: number, name?: string): string {
    const p = this.rel(nodeid);
    return join(this.root, p, name ?? '');
  }

  private child(parent: number, name: string): string {
    const p = this.rel(parent);
    return p === '' ? name : `${p}/${name}`;
  }

  private entry(rel: string): Entry {
    const st = lstatSync(join(this.root, rel));
    let id = this.byPath.get(rel);
    if (id === undefined) {
      id = this.next++;
      this.nodes.set(id, { path: rel, nlookup: 0 });
      this.byPath.set(rel, id);
    }
    this.nodes.get(id)!.nlookup++;
    this.publish();
    return { nodeid: id, generation: 0, entryValidMs: this.entryMs, attrValidMs: this.attrMs, attr: attrOf(st) };
  }

  init(): void {}
  destroy(): void {}

  lookup(_c: RequestContext, parent: number, name: string): Entry {
    return this.entry(this.child(parent, name));
  }

  forget(nodeid: number, nlookup: number): void {
    const n = this.nodes.get(nodeid);
    if (!n || nodeid === 1) return;
    n.nlookup -= nlookup;
    if (n.nlookup <= 0) {
      this.nodes.delete(nodeid);
      if (this.byPath.get(n.path) === nodeid) this.byPath.delete(n.path);
      this.publish();
    }
  }

  getattr(_c: RequestContext, nodeid: number, fh: number | null): AttrReply {
    return { attrValidMs: this.attrMs, attr: attrOf(fh !== null && fh > 0 && !this.dirs.has(fh) ? fstatSync(fh) : lstatSync(this.abs(nodeid))) };
  }

  setattr(_c: RequestContext, nodeid: number, s: SetAttr): AttrReply {
    const p = this.abs(nodeid);
    if (s.mode !== undefined) chmodSync(p, s.mode & 0o7777);
    if (s.uid !== undefined || s.gid !== undefined) lchownSync(p, s.uid ?? -1, s.gid ?? -1);
    if (s.size !== undefined) truncateSync(p, Number(s.size));
    if (s.atime !== undefined || s.mtime !== undefined) setTimes(p, s.atime ?? 'omit', s.mtime ?? 'omit');
    return this.getattr(_c, nodeid, null);
  }

  readlink(_c: RequestContext, nodeid: number): Buffer {
    return readlinkSync(this.abs(nodeid), { encoding: 'buffer' });
  }

  mknod(c: RequestContext, parent: number, name: string, mode: number, rdev: number): Entry {
    mknod(this.abs(parent, name), mode, rdev);
    return this.lookup(c, parent, name);
  }

  mkdir(c: RequestContext, parent: number, name: string, mode: number): Entry {
    mkdirSync(this.abs(parent, name), mode & 0o7777);
    return this.lookup(c, parent, name);
  }

  symlink(c: RequestContext, parent: number, name: string, target: Buffer): Entry {
    symlinkSync(target.toString(), this.abs(parent, name));
    return this.lookup(c, parent, name);
  }

  link(c: RequestContext, nodeid: number, newParent: number, newName: string): Entry {
    linkSync(this.abs(nodeid), this.abs(newParent, newName));
    return this.lookup(c, newParent, newName);
  }

  unlink(_c: RequestContext, parent: number, name: string): void {
    unlinkSync(this.abs(parent, name));
  }

  rmdir(_c: RequestContext, parent: number, name: string): void {
    rmdirSync(this.abs(parent, name));
  }

  rename(_c: RequestContext, parent: number, name: string, newParent: number, newName: string, flags: number): void {
    const from = this.child(parent, name);
    const to = this.child(newParent, newName);
    if (flags) rename2(join(this.root, from), join(this.root, to), flags & 1 ? ['noreplace'] : flags & 2 ? ['exchange'] : []);
    else renameSync(join(this.root, from), join(this.root, to));
    // Re-home every node at or below the old path.
    for (const [id, n] of this.nodes) {
      if (n.path === from || n.path.startsWith(from + '/')) {
        if (this.byPath.get(n.path) === id) this.byPath.delete(n.path);
        n.path = to + n.path.slice(from.length);
        this.byPath.set(n.path, id);
      }
    }
  }

  open(_c: RequestContext, nodeid: number, flags: number): Opened {
    return { fh: openSync(this.abs(nodeid), flags), openFlags: 0 };
  }

  create(c: RequestContext, parent: number, name: string, mode: number, flags: number): { entry: Entry; opened: Opened } {
    const fh = openSync(this.abs(parent, name), flags | 0o100, mode & 0o7777);
    return { entry: this.lookup(c, parent, name), opened: { fh, openFlags: 0 } };
  }

  read(_c: RequestContext, _n: number, fh: number, offset: number, size: number, into: Buffer): number {
    return readSync(fh, into, 0, size, offset);
  }

  write(_c: RequestContext, _n: number, fh: number, offset: number, data: Buffer): number {
    return writeSync(fh, data, 0, data.length, offset);
  }

  flush(): void {}

  fsync(_c: RequestContext, _n: number, fh: number): void {
    fsyncSync(fh);
  }

  release(_c: RequestContext, _n: number, fh: number): void {
    closeSync(fh);
  }

  opendir(_c: RequestContext, nodeid: number): Opened {
    const fh = 1_000_000 + this.nextFh++;
    // readdir(3) hides entries with d_ino 0, so "." and ".." carry the directory's own number.
    const ino = lstatSync(this.abs(nodeid)).ino;
    const list: DirEntry[] = [{ name: '.', ino, type: 4, off: 1 }, { name: '..', ino, type: 4, off: 2 }];
    for (const d of readDirents(this.abs(nodeid))) list.push({ name: d.name, ino: Number(d.ino), type: DT[d.type] ?? 0, off: list.length + 1 });
    this.dirs.set(fh, list);
    return { fh, openFlags: 0 };
  }

  *readdir(_c: RequestContext, _n: number, fh: number, offset: number): Iterable<DirEntry> {
    const list = this.dirs.get(fh) ?? [];
    for (let i = offset; i < list.length; i++) yield list[i]!;
  }

  releasedir(_c: RequestContext, _n: number, fh: number): void {
    this.dirs.delete(fh);
  }

  statfs(_c: RequestContext, nodeid: number): Statfs {
    const s = statfsSync(this.abs(nodeid));
    return { blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree, bsize: s.bsize, namelen: 255, frsize: s.bsize };
  }

  setxattr(_c: RequestContext, nodeid: number, name: string, value: Buffer, flags: number): void {
    setXattr(this.abs(nodeid), name, Buffer.from(value), flags === 1 ? 'create' : flags === 2 ? 'replace' : 'any');
  }

  getxattr(_c: RequestContext, nodeid: number, name: string): Buffer {
    const v = getXattr(this.abs(nodeid), name);
    if (v === null) throw new OvlError('ENODATA', `no xattr ${name}`);
    return v;
  }

  listxattr(_c: RequestContext, nodeid: number): XattrNames {
    const names = listXattrs(this.abs(nodeid));
    return { names, realSize: names.reduce((n, name) => n + Buffer.byteLength(name) + 1, 0) };
  }

  removexattr(_c: RequestContext, nodeid: number, name: string): void {
    removeXattr(this.abs(nodeid), name);
  }
}

/** The factory the session worker calls (module + export name cross the thread, not the object). */
export function createPassthroughFs(root: string, o: PassthroughOptions = {}): LowLevelFs {
  return new PassthroughFs(root, o);
}
