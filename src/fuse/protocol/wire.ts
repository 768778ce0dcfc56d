// Little-endian 64-bit fields as two 32-bit halves (no BigInt on the hot path; node ids, handles,
// offsets and sizes stay below 2^53 here), NUL-terminated names, and 8-byte record alignment.

const TWO32 = 4294967296;

/** An unsigned 64-bit field as a number (exact below 2^53). */
export function readU64(b: Buffer, o: number): number {
  return b.readUInt32LE(o) + b.readUInt32LE(o + 4) * TWO32;
}

/** A signed 64-bit field as a number (exact within ±2^53). */
export function readI64(b: Buffer, o: number): number {
  return b.readInt32LE(o + 4) * TWO32 + b.readUInt32LE(o);
}

/** Write a 64-bit field, signed or unsigned (two's complement for negatives, e.g. len -1). */
export function writeI64(b: Buffer, o: number, v: number): void {
  const hi = Math.floor(v / TWO32);
  b.writeUInt32LE(v - hi * TWO32, o);
  b.writeInt32LE(hi | 0, o + 4);
}

/** A 64-bit field given whole, for the flag words of INIT (not on the hot path). */
export function readU64Big(b: Buffer, o: number): bigint {
  return b.readBigUInt64LE(o);
}

/** Round up to the next multiple of 8: every FUSE record is 8-byte aligned. */
export function align8(n: number): number {
  return (n + 7) & ~7;
}

/** The NUL-terminated name at `o` (ends at `end` if no NUL), and where the next field starts. */
export function readName(b: Buffer, o: number, end: number): { name: string; next: number } {
  let z = b.indexOf(0, o);
  if (z < 0 || z > end) z = end;
  return { name: b.toString('utf8', o, z), next: z + 1 };
}

/** Milliseconds as the protocol's seconds + nanoseconds pair, written at `o` (u64) and `nsecAt` (u32). */
export function writeValid(b: Buffer, o: number, nsecAt: number, ms: number): void {
  const sec = Math.floor(ms / 1000);
  writeI64(b, o, sec);
  b.writeUInt32LE(Math.round((ms - sec * 1000) * 1e6), nsecAt);
}
