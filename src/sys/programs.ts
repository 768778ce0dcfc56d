// Executing a file under test (a scenario's `exec` and held `spawn` ops): execve of a binary that
// lives in an overlay, and a process held running it, so that writes to the running binary meet
// ETXTBSY. argv0 picks a busybox applet without a symlink of its own.
//
// The execve is python3's os.execv, not node's spawn: libuv execs through execvp, which on
// ENOEXEC runs the file with /bin/sh — a generated scenario may have scribbled over the binary,
// and its bytes must never be run as a root shell script. execv reports ENOEXEC like the kernel.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { OvlError } from '../errors.js';
import { nameBytes } from '../format/byte-names.js';

/** A statically linked busybox (Debian's busybox-static): runs the same in any layer, needs no loader. */
export const STATIC_BINARY = '/bin/busybox';

// fd 3 is a pipe to the caller: closed by a successful execv (close-on-exec), else it gets the errno name.
// The path goes as hex of its bytes: argv is UTF-8 to node, which would turn a byte of a name that
// is not UTF-8 (src/format/byte-names.ts) into U+FFFD.
const EXECV = `import errno, os, sys
os.set_inheritable(3, False)
try: os.execv(bytes.fromhex(sys.argv[1]), sys.argv[2:])
except OSError as e: os.write(3, errno.errorcode.get(e.errno, 'EIO').encode()); sys.exit(127)`;

export interface ProgramResult {
  status: number | null;
  signal: string | null;
  stdout: string;
}

const failed = (code: string, path: string) => new OvlError(code, `execve failed: ${code}`, { path });

/** Run `path` (as `argv0 args…`) to completion; an execve failure throws with its errno (EACCES, ETXTBSY, ENOEXEC…). */
export function runProgram(path: string, argv0: string, args: string[], timeoutMs: number, cwd: string): ProgramResult {
  const r = spawnSync('python3', ['-c', EXECV, nameBytes(path).toString('hex'), argv0, ...args], { timeout: timeoutMs, cwd, stdio: ['ignore', 'pipe', 'ignore', 'pipe'], env: {} });
  if (r.error) throw r.error;
  const err = r.output[3]?.toString() ?? '';
  if (err) throw failed(err, path);
  return { status: r.status, signal: r.signal, stdout: r.stdout.toString('latin1') };
}

/** A process started from `path` that keeps running (and keeps the file busy) until stopped. */
export interface HeldProgram {
  stop(): void;
}

const gone = (pid: number) => {
  try {
    // A zombie has released its memory map, and with it the executable.
    return readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
};

/** Start `path` as `argv0 args…`; resolves once execve has succeeded, rejects with its errno. */
export async function holdProgram(path: string, argv0: string, args: string[], cwd: string): Promise<HeldProgram> {
  const child: ChildProcess = spawn('python3', ['-c', EXECV, nameBytes(path).toString('hex'), argv0, ...args], { cwd, stdio: ['ignore', 'ignore', 'ignore', 'pipe'], env: {} });
  const err = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.stdio[3]!.on('data', (b: Buffer) => (out += b.toString()));
    child.stdio[3]!.on('close', () => resolve(out));
  });
  if (err) throw failed(err, path);
  const pid = child.pid!;
  return {
    stop() {
      child.kill('SIGKILL');
      while (!gone(pid)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    },
  };
}
