// The host's byte order, for reading native-endian kernel structs (struct statx) and 64-bit
// typed arrays through 32-bit views: which half of a 64-bit value comes first in memory.
/** True on every platform Node runs on but s390x: a 64-bit value's low 32 bits come first. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
