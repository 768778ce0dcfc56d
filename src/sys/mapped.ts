// mmap(2) for what node:fs cannot do: MAP_SHARED reads and writes of a file (and msync), and
// page-aligned buffers for O_DIRECT. The mapping is visible to JS as a Uint8Array over the mapped
// memory (koffi.view). withSharedMapping unmaps before it returns; a held SharedMapping (a mapping
// kept while other syscalls run) drops its view when unmapped, so no view outlives its mapping.
import koffi from 'koffi';
import { check, throwErrno } from './call.js';
import { c } from './libc.js';

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const MAP_PRIVATE = 2;
const MAP_ANONYMOUS = 0x20;
const MS_SYNC = 4;
const MAP_FAILED = (1n << 64n) - 1n;

function mapOrThrow(len: number, prot: number, flags: number, fd: number, what: string): unknown {
  const p = c.mmap(null, len, prot, flags, fd, 0);
  if (p === null || koffi.address(p) === MAP_FAILED) throwErrno('mmap', what);
  return p;
}

function unmap(p: unknown, len: number, what: string): void {
  check(c.munmap(p, len) as number, 'munmap', what);
}

/** A MAP_SHARED mapping held open: `mem` is valid until unmap(). */
export interface SharedMapping {
  readonly length: number;
  readonly writable: boolean;
  /** The mapped bytes; throws EBADF once unmapped. */
  mem(): Uint8Array;
  /** msync(MS_SYNC) the whole mapping. */
  sync(): void;
  unmap(): void;
}

/** Map `length` bytes of the open file `fd` MAP_SHARED (read-write when `writable`) and keep the mapping. */
export function mapShared(fd: number, length: number, writable: boolean, what: string): SharedMapping {
  let p: unknown = mapOrThrow(length, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, what);
  const live = () => {
    if (p === null) throw Object.assign(new Error(`${what}: unmapped`), { code: 'EBADF' });
    return p;
  };
  return {
    length,
    writable,
    mem: () => new Uint8Array(koffi.view(live(), length)),
    sync: () => check(c.msync(live(), length, MS_SYNC) as number, 'msync', what),
    unmap: () => {
      const q = live();
      p = null;
      unmap(q, length, what);
    },
  };
}

/**
 * Map `length` bytes of the open file `fd` MAP_SHARED (read-write when `writable`), hand the
 * mapping to `fn`, msync(MS_SYNC) it when writable, and unmap. `fn` must stay inside the mapping.
 */
export function withSharedMapping<T>(fd: number, length: number, writable: boolean, what: string, fn: (mem: Uint8Array) => T): T {
  const m = mapShared(fd, length, writable, what);
  try {
    const out = fn(m.mem());
    if (writable) m.sync();
    return out;
  } finally {
    m.unmap();
  }
}

/** A page-aligned scratch buffer of `length` bytes (O_DIRECT needs aligned user memory) for `fn`. */
export function withAlignedBuffer<T>(length: number, fn: (buf: Buffer) => T): T {
  const p = mapOrThrow(length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 'anonymous');
  try {
    return fn(Buffer.from(koffi.view(p, length)));
  } finally {
    unmap(p, length, 'anonymous');
  }
}
