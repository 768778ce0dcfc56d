// mmap(2) for what node:fs cannot do: MAP_SHARED reads and writes of a file (and msync), and
// page-aligned buffers for O_DIRECT. The mapping is visible to JS as a Uint8Array over the mapped
// memory (koffi.view); it is unmapped before the call returns, so no view outlives its mapping.
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

/**
 * Map `length` bytes of the open file `fd` MAP_SHARED (read-write when `writable`), hand the
 * mapping to `fn`, msync(MS_SYNC) it when writable, and unmap. `fn` must stay inside the mapping.
 */
export function withSharedMapping<T>(fd: number, length: number, writable: boolean, what: string, fn: (mem: Uint8Array) => T): T {
  const p = mapOrThrow(length, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, what);
  try {
    const out = fn(new Uint8Array(koffi.view(p, length)));
    if (writable) check(c.msync(p, length, MS_SYNC) as number, 'msync', what);
    return out;
  } finally {
    unmap(p, length, what);
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
