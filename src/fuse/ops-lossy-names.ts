// fuse-native's addon hands the daemon every path as a string made from libfuse's bytes as UTF-8,
// so a name that is not UTF-8 arrives with U+FFFD in place of its bytes, and two such names one
// byte apart arrive as one: a second create would open and truncate the first one's upper file.
// The /dev/fuse transport keeps the bytes (../format/byte-names.ts); on this one, an operation that
// makes a name holding U+FFFD is refused EILSEQ, so no upper file is made under a name the
// caller did not ask for. A name really spelt with U+FFFD is refused too: fuse-native cannot tell.
import type { FuseOps } from '../sys/fuse-native.js';

const EILSEQ = -84;

/** The libfuse operations that make a name, and which of their arguments are paths that name it. */
const MAKES: ReadonlyArray<[keyof FuseOps, number[]]> = [
  ['create', [0]], ['mknod', [0]], ['mkdir', [0]], ['symlink', [0, 1]], ['link', [1]], ['rename', [1]],
];

const lossy = (s: unknown) => typeof s === 'string' && s.includes('\ufffd');

/** `ops` with every name-making operation refusing a name fuse-native could not pass on as bytes. */
export function refuseLossyNames(ops: Partial<FuseOps>): Partial<FuseOps> {
  const out: Record<string, unknown> = { ...ops };
  for (const [op, paths] of MAKES) {
    const inner = ops[op] as ((...args: unknown[]) => void) | undefined;
    if (!inner) continue;
    out[op] = (...args: unknown[]) => {
      if (paths.some((i) => lossy(args[i]))) (args[args.length - 1] as (err: number) => void)(EILSEQ);
      else inner(...args);
    };
  }
  return out as Partial<FuseOps>;
}
