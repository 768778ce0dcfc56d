// fuse-native's addon hands the daemon every path as a string made from libfuse's bytes as UTF-8,
// so a name that is not UTF-8 arrives with U+FFFD in place of its bytes: two names one byte apart
// arrive as one, and as a sibling really spelt with U+FFFD. Served, a create would truncate the
// first one's upper file, and a read, write or unlink would act on that sibling (a review:
// `cat caf\xe9` printed `caf\xef\xbf\xbd`'s data, `rm` whited out the wrong file). The /dev/fuse
// transport keeps the bytes (../format/byte-names.ts); on this one, any operation with U+FFFD in a
// path, a link text or an xattr name is refused EILSEQ: never served under a name the caller did
// not ask for. A name really spelt with U+FFFD is refused too: fuse-native cannot tell.
import type { FuseOps } from '../sys/fuse-native.js';

const EILSEQ = -84;

const lossy = (a: unknown) => typeof a === 'string' && a.includes('\ufffd');

// Operations on an open handle act on what was opened, not on a name; a release refused would
// leak the handle.
const ON_HANDLES = new Set(['init', 'read', 'write', 'flush', 'fsync', 'release', 'releasedir', 'fsyncdir', 'ftruncate', 'fgetattr']);

/** `ops` with every operation refusing a path or name fuse-native could not pass on as bytes. */
export function refuseLossyNames(ops: Partial<FuseOps>): Partial<FuseOps> {
  const out: Record<string, unknown> = { ...ops };
  for (const [op, fn] of Object.entries(ops)) {
    if (typeof fn !== 'function' || ON_HANDLES.has(op)) continue;
    const inner = fn as (...args: unknown[]) => void;
    out[op] = (...args: unknown[]) => {
      // The callback is last; strings before it are paths, link texts and xattr names.
      for (let i = 0; i < args.length - 1; i++) {
        if (lossy(args[i])) return (args[args.length - 1] as (err: number) => void)(EILSEQ);
      }
      inner(...args);
    };
  }
  return out as Partial<FuseOps>;
}
