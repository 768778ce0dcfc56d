// Content hashing for duplicate detection: xxh64 (xxhash-wasm) over distinct inodes, and only over
// inodes whose size collides with another inode's, as jdupes and rdfind do: a file with a unique
// size cannot have a duplicate, so it is never read. Read-only (O_RDONLY|O_NOATIME when allowed).
import { closeSync, constants, openSync, readSync } from 'node:fs';
import xxhash, { type XXHashAPI } from 'xxhash-wasm';
import type { WarningLog } from './read-meta.js';
import type { Entry } from './types.js';

const CHUNK = 1 << 20;

/** Inodes worth hashing: regular, non-empty, and sharing their size with at least one other inode. */
export function sizeCollisions(entries: Iterable<{ entry: Entry; abs: string }>): Map<string, string> {
  const bySize = new Map<number, Map<string, string>>();
  for (const { entry, abs } of entries) {
    if (entry.type !== 'file' || entry.size === 0) continue;
    let group = bySize.get(entry.size);
    if (!group) bySize.set(entry.size, (group = new Map()));
    if (!group.has(entry.inode)) group.set(entry.inode, abs);
  }
  const out = new Map<string, string>();
  for (const group of bySize.values()) if (group.size > 1) for (const [ino, abs] of group) out.set(ino, abs);
  return out;
}

function openForRead(abs: string): number {
  try {
    // O_NOATIME keeps analyze from touching atimes (allowed for the owner or root).
    return openSync(abs, constants.O_RDONLY | constants.O_NOATIME);
  } catch {
    return openSync(abs, constants.O_RDONLY);
  }
}

const hex = (h: bigint): string => h.toString(16).padStart(16, '0');

function hashFd(api: XXHashAPI, fd: number, buf: Buffer, onBytes?: (n: number) => void): string {
  const first = readSync(fd, buf, 0, buf.length, null);
  onBytes?.(first);
  // Most files fit one read: hash them in one call, no streaming state.
  if (first < buf.length) return hex(api.h64Raw(buf.subarray(0, first)));
  const h = api.create64();
  h.update(buf.subarray(0, first));
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n <= 0) break;
    h.update(buf.subarray(0, n));
    onBytes?.(n);
  }
  return hex(h.digest());
}

/** A synchronous xxh64-of-a-file function (errors propagate), for verification. */
export async function contentHasher(): Promise<(abs: string) => string> {
  const api = await xxhash();
  const buf = Buffer.allocUnsafe(CHUNK);
  return (abs) => {
    const fd = openForRead(abs);
    try {
      return hashFd(api, fd, buf);
    } finally {
      closeSync(fd);
    }
  };
}

export interface HashOptions {
  log: WarningLog;
  onProgress?: (bytes: number) => void;
}

/** inode → 16-hex-digit xxh64 of the content, for each (inode, path) given. Unreadable files are warnings. */
export async function hashInodes(targets: Map<string, string>, { log, onProgress }: HashOptions): Promise<Map<string, string>> {
  const api = await xxhash();
  const buf = Buffer.allocUnsafe(CHUNK);
  const out = new Map<string, string>();
  let done = 0;
  for (const [inode, abs] of targets) {
    let fd = -1;
    try {
      fd = openForRead(abs);
      out.set(inode, hashFd(api, fd, buf, (n) => (done += n)));
      onProgress?.(done);
    } catch (err) {
      log.add(abs, `cannot read for hashing: ${(err as { code?: string }).code ?? String(err)}`);
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }
  return out;
}
