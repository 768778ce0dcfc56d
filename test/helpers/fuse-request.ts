// Test builder for FUSE requests as the kernel writes them to /dev/fuse: a fuse_in_header
// (include/uapi/linux/fuse.h: len, opcode, unique, nodeid, uid, gid, pid, total_extlen, padding)
// followed by the body, so codec and dispatch tests feed the same bytes a real request has.
import { IN_HEADER_SIZE } from '../../src/fuse/protocol/constants.js';

export interface HeaderFields {
  nodeid?: number;
  unique?: bigint;
  uid?: number;
  gid?: number;
  pid?: number;
}

/** One request: header (defaults: unique 2^32+7, node 1, uid 1000, gid 100, pid 4242), then `body`. */
export function fuseRequest(opcode: number, body: Buffer, h: HeaderFields = {}): Buffer {
  const b = Buffer.alloc(IN_HEADER_SIZE + body.length);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt32LE(opcode, 4);
  b.writeBigUInt64LE(h.unique ?? 0x1_0000_0007n, 8);
  b.writeBigUInt64LE(BigInt(h.nodeid ?? 1), 16);
  b.writeUInt32LE(h.uid ?? 1000, 24);
  b.writeUInt32LE(h.gid ?? 100, 28);
  b.writeUInt32LE(h.pid ?? 4242, 32);
  body.copy(b, IN_HEADER_SIZE);
  return b;
}

/** A zeroed body of `len` bytes filled by `fill(b, 0)` (struct fields at their offsets in the body). */
export function fuseBody(len: number, fill: (b: Buffer, o: number) => void = () => undefined): Buffer {
  const b = Buffer.alloc(len);
  fill(b, 0);
  return b;
}
