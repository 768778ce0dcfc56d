// Running other programs (find, tar, fuse-overlayfs, jdupes …) and the page-cache controls a
// benchmark needs. Kept in the sys door so nothing else in the project spawns processes itself.
import { writeFileSync } from 'node:fs';
import { hasEscapedBytes, nameBytes } from '../format/byte-names.js';
import { syncAll } from './tmpfs.js';

export interface ToolResult {
  /** exit status; null when the program was killed (timeout) or could not start */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** why it did not finish normally: 'timeout after Ns', 'ENOENT', a signal name; '' when it exited */
  failure: string;
}

export interface ToolOptions {
  cwd?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
  /** send stdout to /dev/null instead of collecting it (big outputs nobody reads) */
  discardStdout?: boolean;
  /** `env` is the whole environment: nothing of this process's is passed on */
  cleanEnv?: boolean;
}

/**
 * execvp of arguments given as hex of their bytes, for a path that is not UTF-8
 * (src/format/byte-names.ts): node's spawn sends every argument as UTF-8, which would turn such a
 * byte into U+FFFD and name another file. No shell on the way, as without it.
 */
const EXEC_BYTES = `import os, sys
a = [bytes.fromhex(x) for x in sys.argv[1:]]
try: os.execvp(a[0], a)
except OSError as e: sys.stderr.write(os.fsdecode(a[0]) + ': ' + e.strerror + '\\n'); sys.exit(127)`;

/** `file args` as spawn can pass them: through python3's execvp when one holds a byte that is not UTF-8. */
function byteSafe(file: string, args: readonly string[]): [string, readonly string[]] {
  if (!hasEscapedBytes(file) && !args.some(hasEscapedBytes)) return [file, args];
  return ['python3', ['-c', EXEC_BYTES, ...[file, ...args].map((a) => nameBytes(a).toString('hex'))]];
}

/** Run `file args` to completion without a shell; never throws for a failing program. */
export async function runTool(file: string, args: readonly string[], o: ToolOptions = {}): Promise<ToolResult> {
  // Loaded on first use: execa costs ~30 ms of start-up that ovl-fuse's mount path never needs.
  const { execa } = await import('execa');
  const r = await execa(...byteSafe(file, args), {
    reject: false,
    stdin: 'ignore',
    stdout: o.discardStdout ? 'ignore' : 'pipe',
    cwd: o.cwd,
    env: o.env,
    extendEnv: !o.cleanEnv,
    timeout: o.timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
    stripFinalNewline: false,
  });
  let failure = '';
  if (r.timedOut) failure = `timeout after ${Math.round((o.timeoutMs ?? 0) / 1000)} s`;
  else if (r.failed && r.exitCode === undefined) failure = r.signal ?? (r.code as string | undefined) ?? 'failed to start';
  return {
    exitCode: r.exitCode ?? null,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : '',
    failure,
  };
}

/** The first line of a program's complaint, for one-line failure reasons. */
export function firstLine(r: ToolResult): string {
  const text = r.failure || r.stderr.trim() || r.stdout.trim() || `exit ${r.exitCode}`;
  return text.split('\n')[0]!.slice(0, 300);
}

/** sync, then drop the page, dentry and inode caches (root only): the next read comes from disk. */
export async function dropCaches(): Promise<void> {
  await syncAll();
  writeFileSync('/proc/sys/vm/drop_caches', '3');
}

/**
 * How many drop_caches events the kernel log holds (each write logs "drop_caches: N"). A change
 * across a timed step means someone else emptied our caches mid-measurement; null without dmesg.
 */
export async function dropCachesLogged(): Promise<number | null> {
  const r = await runTool('dmesg', []);
  if (r.exitCode !== 0) return null;
  let n = 0;
  for (const line of r.stdout.split('\n')) if (line.includes('drop_caches:')) n++;
  return n;
}
