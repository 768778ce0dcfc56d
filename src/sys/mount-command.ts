// Mounting through an external command (fuse-overlayfs, ovl-fuse, `mount -t overlay`, …) and
// tearing such a mount down even when its daemon hangs: the FUSE connection is aborted through
// fusectl, which fails every pending request, so stuck callers return and the daemon exits.
import { mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResultPromise } from 'execa';
import { OvlError } from '../errors.js';
import { check } from './call.js';
import { c, MNT_DETACH } from './libc.js';
import { isMounted } from './mount.js';

export interface CommandMount {
  /** The command's process while it still runs (a foreground daemon); undefined once it exited. */
  readonly pid: number | undefined;
  /** Stop the command's process group if it is still running. */
  kill(): void;
}

function readLog(log: string): string {
  try {
    return readFileSync(log, 'utf8').trim().split('\n').slice(-1)[0] ?? '';
  } catch {
    return '';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Run `command` with /bin/sh and wait until `merged` is a mount point. A command that mounts and
 * exits (a detaching daemon, mount(8)) and one that stays in the foreground both work; a command
 * that fails, or does not mount within `timeoutMs`, is killed and reported with its stderr.
 */
export async function mountWithCommand(
  command: string,
  merged: string,
  {
    timeoutMs = 10_000,
    cwd,
    onSpawn,
  }: {
    timeoutMs?: number;
    cwd?: string;
    /** Told how to kill the command while we wait, e.g. so a SIGINT handler can stop a half-done mount. */
    onSpawn?: (kill: () => void) => void;
  } = {},
): Promise<CommandMount> {
  // Output goes to a file, not a pipe: a daemon that detaches may keep a pipe open for ever.
  const log = join(cwd ?? tmpdir(), `.mount-command-${process.pid}.log`);
  // Loaded on first use (see ./exec.ts).
  const { execa } = await import('execa');
  const child: ResultPromise = execa(command, {
    shell: '/bin/sh',
    cwd,
    detached: true,
    reject: false,
    stdin: 'ignore',
    stdout: { file: log },
    stderr: { file: log },
  });
  let exited: { exitCode?: number } | undefined;
  void child.then((r) => (exited = r));
  const kill = () => {
    if (exited === undefined && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  onSpawn?.(kill);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (isMounted(merged)) return { get pid() { return exited ? undefined : child.pid; }, kill };
    if (exited !== undefined) {
      const out = readLog(log);
      throw new OvlError('EIO', `mount command exited ${exited.exitCode} without mounting${out ? ': ' + out : ''}`, { path: merged });
    }
    if (Date.now() > deadline) {
      kill();
      throw new OvlError('ETIMEDOUT', `mount command did not mount within ${timeoutMs} ms`, { path: merged });
    }
    await sleep(10);
  }
}

/** The "major:minor" device of the mount at `target`, and its fs type, from mountinfo. */
function mountDevice(target: string): { minor: string; fstype: string } | undefined {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post = ''] = line.split(' - ');
    const f = (pre ?? '').split(' ');
    if (f[4] === target) return { minor: (f[2] ?? '').split(':')[1] ?? '', fstype: post.split(' ')[0] ?? '' };
  }
  return undefined;
}

/**
 * Abort the FUSE connection behind `target` (no-op for other filesystems). fusectl is mounted on a
 * private temp dir for the moment it takes, so nothing global is left mounted.
 */
export function abortFuse(target: string): boolean {
  const dev = mountDevice(target);
  if (!dev || !dev.fstype.startsWith('fuse')) return false;
  const ctl = mkdtempSync(join(tmpdir(), 'ovlkit-fusectl-'));
  try {
    check(c.mount('none', ctl, 'fusectl', 0, null) as number, 'mount fusectl', ctl);
    try {
      writeFileSync(join(ctl, dev.minor, 'abort'), '1');
      return true;
    } finally {
      c.umount2(ctl, MNT_DETACH);
    }
  } catch {
    return false;
  } finally {
    rmdirSync(ctl);
  }
}

/** Last resort for a mount whose daemon may hang: abort FUSE, then detach. Synchronous (for signal handlers). */
export function forceUnmount(target: string): void {
  if (!isMounted(target)) return;
  abortFuse(target);
  c.umount2(target, MNT_DETACH);
}
