// fuse-native as patched (FEATURE_LEVEL 2, patches/fuse-native+2.2.6.patch item 11) hands every
// path, xattr name and link text to the ops as a latin1 string of its bytes, one character a byte,
// and takes names back the same way: UTF-8 strings, which it made before, turned every byte of a
// name that is not UTF-8 into U+FFFD. The core holds names as ../format/byte-names.ts does; this
// turns one form into the other at the edge: every string argument in, and readdir's names, a
// readlink text and listxattr's names out. An ASCII string is the same in both and passes as is.
import { decodeName, nameBytes } from '../format/byte-names.js';
import type { FuseOps } from '../sys/fuse-native.js';

const ASCII = /^[\x00-\x7f]*$/;

/** A latin1 string of a name's bytes as the core holds the name. */
export const fromLatin1 = (s: string): string => (ASCII.test(s) ? s : decodeName(Buffer.from(s, 'latin1')));
/** A name as the core holds it, as a latin1 string of its bytes. */
export const toLatin1 = (s: string): string => (ASCII.test(s) ? s : nameBytes(s).toString('latin1'));

type Callback = (err: number, value?: unknown, more?: unknown) => void;

/** What goes back out in an op's callback: readdir's names, readlink's text, listxattr's names. */
const OUT: Record<string, (cb: Callback) => Callback> = {
  readdir: (cb) => (err, names, stats) => cb(err, Array.isArray(names) ? names.map(toLatin1) : names, stats),
  listxattr: (cb) => (err, names) => cb(err, Array.isArray(names) ? names.map(toLatin1) : names),
  readlink: (cb) => (err, text) => cb(err, typeof text === 'string' ? toLatin1(text) : text),
};

/** `ops` taking and giving fuse-native's latin1 strings of names' bytes. */
export function latin1Names(ops: Partial<FuseOps>): Partial<FuseOps> {
  const out: Record<string, unknown> = { ...ops };
  for (const [op, fn] of Object.entries(ops)) {
    if (typeof fn !== 'function' || op === 'init') continue;
    const inner = fn as (...args: unknown[]) => void;
    const back = OUT[op];
    const wrapped = (...args: unknown[]) => {
      // The callback is last; the strings before it are paths, xattr names and link texts.
      for (let i = 0; i < args.length - 1; i++) if (typeof args[i] === 'string') args[i] = fromLatin1(args[i] as string);
      if (back) args[args.length - 1] = back(args[args.length - 1] as Callback);
      inner(...args);
    };
    // fuse-native reads a handler's arity (create with 4 arguments gets the open flags).
    out[op] = Object.defineProperty(wrapped, 'length', { value: inner.length });
  }
  return out as Partial<FuseOps>;
}
