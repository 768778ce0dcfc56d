// Little-endian fields: 16- and 32-bit ones by byte, 64-bit ones as two 32-bit halves (no BigInt on
// the hot path; node ids and handles stay below 2^53), NUL-terminated names, and 8-byte record
// alignment. Sizes and offsets can pass 2^53 (FUSE's and tmpfs's limit is 2^63 - 1): their
// readers and writers take a U64, a number while exact and a bigint from 2^53 on.
//
// By byte rather than Buffer#readUInt32LE and friends: each of those is a chain of four or five
// JS calls (the method, its typed helper, checkInt, checkBounds, validateNumber) that a fresh
// daemon runs in the interpreter for its first thousands of requests, and that TurboFan then
// compiles one by one; a copy-up's five requests make ~150 of them. No bounds checks: every
// offset here is inside a buffer sized for the largest request or reply.
import type { U64 } from '../session/filesystem.js';
import { decodeName } from '../../format/byte-names.js';

const TWO32 = 4294967296;

/** An unsigned 32-bit field. */
export function readU32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}

/** A signed 32-bit field. */
export function readI32(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
}

/** An unsigned 16-bit field. */
export function readU16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

/** Write a 32-bit field, signed or unsigned (a byte store keeps the low 8 bits of its value). */
export function write32(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

/** Write a 16-bit field, signed or unsigned. */
export function write16(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
}

/** An unsigned 64-bit field as a number (exact below 2^53). */
export function readU64(b: Uint8Array, o: number): number {
  return readU32(b, o) + readU32(b, o + 4) * TWO32;
}

/** A signed 64-bit field as a number (exact within ±2^53). */
export function readI64(b: Uint8Array, o: number): number {
  return readI32(b, o + 4) * TWO32 + readU32(b, o);
}

/** Write a 64-bit field, signed or unsigned (two's complement for negatives, e.g. len -1). */
export function writeI64(b: Uint8Array, o: number, v: number): void {
  const hi = Math.floor(v / TWO32);
  write32(b, o, v - hi * TWO32);
  write32(b, o + 4, hi);
}

/** The high word from which a 64-bit value is 2^53 or more (or negative, for a signed one). */
const HI_EXACT = 0x200000;

/** An unsigned 64-bit size or offset, exact: a number below 2^53, else a bigint. */
export function readU64Exact(b: Uint8Array, o: number): U64 {
  const hi = readU32(b, o + 4);
  if (hi < HI_EXACT) return readU32(b, o) + hi * TWO32;
  return (BigInt(hi) << 32n) | BigInt(readU32(b, o));
}

/** A signed 64-bit offset, exact: a number within ±2^53, else a bigint. */
export function readI64Exact(b: Uint8Array, o: number): U64 {
  const hi = readI32(b, o + 4);
  if (hi < HI_EXACT && hi >= -HI_EXACT) return hi * TWO32 + readU32(b, o);
  return (BigInt(hi) << 32n) | BigInt(readU32(b, o));
}

/** Write a size or offset given as a U64 (a bigint as its 64-bit two's complement). */
export function writeU64Exact(b: Uint8Array, o: number, v: U64): void {
  if (typeof v === 'number') {
    writeI64(b, o, v);
    return;
  }
  write32(b, o, Number(v & 0xffffffffn));
  write32(b, o + 4, Number((v >> 32n) & 0xffffffffn));
}

/** A 64-bit field given whole, for the flag words of INIT (not on the hot path). */
export function readU64Big(b: Buffer, o: number): bigint {
  return b.readBigUInt64LE(o);
}

/** Round up to the next multiple of 8: every FUSE record is 8-byte aligned. */
export function align8(n: number): number {
  return (n + 7) & ~7;
}

/** The NUL-terminated name at `o` (ends at `end` if no NUL), and where the next field starts; its bytes as ../../format/byte-names.ts holds them. */
export function readName(b: Buffer, o: number, end: number): { name: string; next: number } {
  let z = b.indexOf(0, o);
  if (z < 0 || z > end) z = end;
  return { name: decodeName(b, o, z), next: z + 1 };
}

/** Milliseconds as the protocol's seconds + nanoseconds pair, written at `o` (u64) and `nsecAt` (u32). */
export function writeValid(b: Buffer, o: number, nsecAt: number, ms: number): void {
  const sec = Math.floor(ms / 1000);
  writeI64(b, o, sec);
  write32(b, nsecAt, Math.round((ms - sec * 1000) * 1e6));
}
