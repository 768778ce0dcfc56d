// Names as the kernel holds them, bytes, in JS strings. A Linux name is any bytes but '/' and NUL;
// node decodes and encodes strings as UTF-8, so a name that is not valid UTF-8 (Latin-1 file
// names in old tarballs and images) came out with U+FFFD in place of its bytes: a lower file so
// named vanished from listings, and one created through the mount got another name in the upper,
// two such names the same one. A name that is valid UTF-8 is held as its decoded string, as
// always; each byte of one that is not is held as the lone surrogate U+DC00 + byte (Python's
// "surrogateescape"). UTF-8 cannot encode a surrogate, so such a character can only have come
// from a byte, and the bytes of a name come back exactly. Pure: no I/O.

/** The string holding `b[start, end)`'s bytes (see the header). */
export function decodeName(b: Buffer, start = 0, end = b.length): string {
  const s = b.toString('utf8', start, end);
  // Every invalid sequence decodes to U+FFFD; a name without one was valid UTF-8 throughout.
  return s.indexOf('\ufffd') < 0 ? s : decodeSlow(b, start, end);
}

function decodeSlow(b: Buffer, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; ) {
    const n = validSequence(b, i, end);
    if (n > 0) {
      out += b.toString('utf8', i, i + n);
      i += n;
    } else {
      out += String.fromCharCode(0xdc00 + b[i]!);
      i++;
    }
  }
  return out;
}

/** The length of the well-formed UTF-8 sequence at `i` (RFC 3629: no overlong forms, no surrogates, ≤ U+10FFFF), 0 if none. */
function validSequence(b: Buffer, i: number, end: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (j: number, lo = 0x80, hi = 0xbf) => j < end && b[j]! >= lo && b[j]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

// A lone low surrogate of an escaped byte; also matches the second half of some pairs (U+10080…),
// which encodeSlow sends on as UTF-8.
const ESCAPED = /[\udc80-\udcff]/;

/** Whether `s` holds a byte of a name that is not UTF-8 (it may also just hold a character above U+FFFF). */
export function hasEscapedBytes(s: string): boolean {
  return ESCAPED.test(s);
}

/** The bytes `s` holds (decodeName's inverse). */
export function nameBytes(s: string): Buffer {
  return ESCAPED.test(s) ? encodeSlow(s) : Buffer.from(s, 'utf8');
}

function encodeSlow(s: string): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    if (u >= 0xd800 && u <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++; // a pair: UTF-8 as it stands
        continue;
      }
    }
    if (u >= 0xdc80 && u <= 0xdcff) {
      if (i > from) parts.push(Buffer.from(s.slice(from, i), 'utf8'));
      parts.push(Buffer.of(u - 0xdc00));
      from = i + 1;
    }
  }
  if (from < s.length) parts.push(Buffer.from(s.slice(from), 'utf8'));
  return Buffer.concat(parts);
}

/** How many bytes `s` holds. */
export function nameByteLength(s: string): number {
  return ESCAPED.test(s) ? encodeSlow(s).length : Buffer.byteLength(s, 'utf8');
}

/**
 * `s` as node:fs takes a path: the string itself when UTF-8 spells its bytes (all but names that
 * are not UTF-8), else a Buffer of them.
 */
export function osPath(s: string): string | Buffer {
  return ESCAPED.test(s) ? encodeSlow(s) : s;
}

/** `s` as a C string argument (koffi's `const char *`): the string itself, or its bytes NUL-terminated. */
export function cPath(s: string): string | Buffer {
  return ESCAPED.test(s) ? Buffer.concat([encodeSlow(s), ZERO]) : s;
}

const ZERO = Buffer.of(0);

/** `s` for a human to read: each byte of a name that is not UTF-8 as `\xNN` (reports, messages). */
export function shownName(s: string): string {
  // Lone ones only: the second half of a pair (U+10080…) is part of a character.
  return ESCAPED.test(s) ? s.replace(/(?<![\ud800-\udbff])[\udc80-\udcff]/g, (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16)}`) : s;
}
