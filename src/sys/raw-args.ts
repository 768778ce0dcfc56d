// A command's arguments as their bytes. node decodes argv as UTF-8 and puts U+FFFD in place of each
// byte outside a valid sequence, so `ovl-fuse -o lowerdir=/srv/caf\xe9 …` named a path that does
// not exist ("no such directory") and `ovl-dedup analyze /srv/caf\xe9` another tree. The kernel
// keeps the arguments' bytes in /proc/self/cmdline; decoded there with decodeName, a byte that is
// not UTF-8 is the lone surrogate the rest of ovlkit reads as that byte (src/format/byte-names.ts,
// src/sys/fs-bytes.ts).
import { readFileSync } from 'node:fs';
import { decodeName, hasEscapedBytes, nameBytes } from '../format/byte-names.js';

/**
 * The environment variable a detaching command hands its arguments to the daemon it spawns in:
 * node's spawn encodes each argument as UTF-8, so an escaped byte would reach the daemon's argv as
 * U+FFFD. JSON escapes a lone surrogate (\udce9), so the value is ASCII.
 */
export const ARGS_ENV = 'OVLKIT_ARGS';

/** The arguments after the script's path, their bytes kept (see the header). */
export function rawArgs(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string[] {
  const given = argv.slice(2);
  const handed = env[ARGS_ENV];
  if (handed !== undefined) {
    // Read once: a program this process starts gets its own arguments, not these.
    delete env[ARGS_ENV];
    const args = parseHanded(handed);
    if (args !== null && sameButLost(args, given)) return args;
  }
  // Nothing was lost: every argument decoded without U+FFFD (which also stands for itself).
  if (!given.some((a) => a.includes('\ufffd'))) return given;
  let cmdline: Buffer;
  try {
    cmdline = readFileSync('/proc/self/cmdline');
  } catch {
    return given;
  }
  const all = splitCmdline(cmdline);
  // cmdline also holds node's own options (execArgv), which precede the script: the arguments are its tail.
  const args = all.slice(all.length - given.length);
  return all.length >= given.length && sameButLost(args, given) ? args : given;
}

/** cmdline's NUL-terminated arguments, each decoded. */
export function splitCmdline(b: Buffer): string[] {
  const out: string[] = [];
  for (let from = 0; from < b.length; ) {
    let end = b.indexOf(0, from);
    if (end < 0) end = b.length;
    out.push(decodeName(b, from, end));
    from = end + 1;
  }
  return out;
}

/**
 * The environment to add for a node program spawned with `args` after its script, so that it
 * reads them whole (rawArgs): ARGS_ENV when one is not UTF-8, else nothing.
 */
export function argsEnv(args: readonly string[]): Record<string, string> {
  return args.some(hasEscapedBytes) ? { [ARGS_ENV]: JSON.stringify(args) } : {};
}

function parseHanded(text: string): string[] | null {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) && v.every((a) => typeof a === 'string') ? (v as string[]) : null;
  } catch {
    return null;
  }
}

/**
 * Whether `raw` are the arguments node decoded as `given`: as many, and each the same string once
 * its escaped bytes are decoded as node decodes them (a process that rewrote its own cmdline, or a
 * stale ARGS_ENV, is not believed).
 */
function sameButLost(raw: readonly string[], given: readonly string[]): boolean {
  return raw.length === given.length && raw.every((a, i) => lossy(a) === given[i]);
}

/** What node's argv holds for `s`: the bytes decoded as UTF-8, U+FFFD for each invalid sequence. */
function lossy(s: string): string {
  return hasEscapedBytes(s) ? nameBytes(s).toString('utf8') : s;
}
