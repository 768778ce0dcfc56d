// The project's error values. Every domain throws one of these, never a bare string:
// OvlError carries the errno the kernel would return (so FUSE handlers and the conformance
// suite can compare it), UsageError is a bad command line or option and maps to exit 2.
import { constants } from 'node:os';

const ERRNO_BY_NAME: Record<string, number> = constants.errno as Record<string, number>;
const NAME_BY_ERRNO = new Map<number, string>(Object.entries(ERRNO_BY_NAME).map(([k, v]) => [v, k]));

/** Numeric errno for a name such as 'ENOENT'; throws on a name Node does not know (a programming error). */
export function errnoNumber(name: string): number {
  const n = ERRNO_BY_NAME[name];
  if (n === undefined) throw new TypeError(`unknown errno name ${name}`);
  return n;
}

/** Symbolic name for a positive errno ('EIO' when unknown, since that is what a caller would see). */
export function errnoName(errno: number): string {
  return NAME_BY_ERRNO.get(Math.abs(errno)) ?? 'EIO';
}

export interface OvlErrorOptions {
  path?: string;
  cause?: unknown;
}

/** A failure with a kernel errno: `code` is the symbolic name ('ENOENT'), `errno` the positive number. */
export class OvlError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly path: string | undefined;

  constructor(code: string, message: string, options: OvlErrorOptions = {}) {
    super(options.path ? `${options.path}: ${message}` : message, { cause: options.cause });
    this.name = 'OvlError';
    this.code = code;
    this.errno = errnoNumber(code);
    this.path = options.path;
  }
}

/**
 * A command line or option the user got wrong; CLIs print the message on one line and exit 2.
 * `code` is what the kernel answers for the same mistake in a mount (EINVAL unless told otherwise).
 */
export class UsageError extends Error {
  readonly code: string;
  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(message, { cause: options.cause });
    this.name = 'UsageError';
    this.code = options.code ?? 'EINVAL';
  }
}

/**
 * The one place that turns any thrown value into a positive errno: OvlError and Node's
 * system errors carry one; anything else is a bug in our code and becomes EIO, as the
 * kernel reports an internal failure.
 */
export function errnoOf(err: unknown): number {
  if (err instanceof OvlError) return err.errno;
  if (err instanceof UsageError) return errnoNumber(err.code);
  if (err && typeof err === 'object') {
    const e = err as { errno?: unknown; code?: unknown };
    if (typeof e.errno === 'number' && e.errno !== 0) return Math.abs(e.errno);
    if (typeof e.code === 'string' && ERRNO_BY_NAME[e.code] !== undefined) return ERRNO_BY_NAME[e.code]!;
  }
  return errnoNumber('EIO');
}

/** The errno name of any thrown value (see errnoOf). */
export function errnoCodeOf(err: unknown): string {
  return errnoName(errnoOf(err));
}

/**
 * `text` on one line: control characters (a newline in a path, garbage bytes quoted from a
 * corrupt file) escaped as \n, \r, \t or \xNN, so an error or warning stays the one line scripts
 * and readers expect; a byte of a name that is not UTF-8 (format/byte-names.ts) as \xNN too.
 */
export function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]|(?<![\ud800-\udbff])[\udc80-\udcff]/g, (c) => {
    const u = c.charCodeAt(0);
    if (u >= 0xdc80) return `\\x${(u - 0xdc00).toString(16)}`;
    return c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\x${u.toString(16).padStart(2, '0')}`;
  });
}
