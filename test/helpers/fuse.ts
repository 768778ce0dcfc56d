// Test fixture for ovl-fuse: start the real CLI (built dist/, as a user runs it) in the
// foreground with its status pipe, wait until the mount is live, and in teardown unmount it and
// wait for the daemon to exit (killing it only if it hangs), so no test leaves a mount or daemon.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapePath } from '../../src/format/index.js';
import { isMounted, umountSurely } from '../../src/sys/index.js';
import type { LayerDirs, Teardowns } from './layers.js';

export const ovlFuseBin = fileURLToPath(new URL('../../bin/ovl-fuse', import.meta.url));

export interface FuseMount {
  child: ChildProcess;
  merged: string;
  /** Resolves with the daemon's exit code. */
  exited: Promise<number | null>;
}

/** The -o string for a LayerDirs (upper and work unless `readonly`), plus `extra`. */
export function fuseOptions(d: LayerDirs, extra = '', readonly = false): string {
  const parts = [`lowerdir=${d.lowers.map(escapePath).join(':')}`];
  if (!readonly) parts.push(`upperdir=${escapePath(d.upper)}`, `workdir=${escapePath(d.work)}`);
  if (extra) parts.push(extra);
  return parts.join(',');
}

/**
 * Mount ovl-fuse with `options` on `merged`; rejects with the daemon's error line if it fails.
 * `env` is added to the daemon's environment (e.g. an OVL_FUSE_NODE wrapper with V8 flags).
 */
export function startFuse(t: Teardowns, options: string, merged: string, env: Record<string, string> = {}): Promise<FuseMount> {
  // Through bin/ovl-fuse's sh part (it execs the node named by OVL_FUSE_NODE), as a user's command
  // runs: under tap it swaps tap's coverage hook for node's own coverage, ~0.6 s of CPU less a mount.
  const child = spawn(ovlFuseBin, ['-f', '-o', options, merged], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, OVL_FUSE_NODE: process.execPath, OVL_FUSE_NOTIFY_FD: '3', ...env },
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  t.teardown(async () => {
    if (isMounted(merged)) await umountSurely(merged);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  });
  return new Promise((resolve, reject) => {
    let status = '';
    const pipe = child.stdio[3] as NodeJS.ReadableStream;
    pipe.on('data', (b: Buffer) => (status += b.toString()));
    pipe.on('end', () => {
      if (status.startsWith('ok')) resolve({ child, merged, exited });
      else reject(new Error(`ovl-fuse did not mount: ${status.trim() || stderr.trim()}`));
    });
  });
}

/** Mount ovl-fuse over a LayerDirs on d.merged. */
export function mountFuse(t: Teardowns, d: LayerDirs, extra = '', readonly = false): Promise<FuseMount> {
  return startFuse(t, fuseOptions(d, extra, readonly), d.merged);
}

/**
 * Have `m`'s layer watcher lose events: stop the daemon, queue more events than fanotify holds
 * (16,384) in a new dir `scratch` on the layers' filesystem (outside the layers), run `meanwhile`
 * (changes to the layers; nothing may touch the mount while the daemon is stopped), and let it go on.
 */
export function overflowWhileStopped(m: FuseMount, scratch: string, meanwhile: () => void): void {
  mkdirSync(scratch);
  process.kill(m.child.pid!, 'SIGSTOP');
  try {
    for (let i = 0; i < 20_000; i++) writeFileSync(join(scratch, `n${i}`), '');
    meanwhile();
  } finally {
    process.kill(m.child.pid!, 'SIGCONT');
  }
}

/**
 * Whether `done()` holds within 5 s (asked every 50 ms): a change in a layer showing through the
 * mount. Unlike watch-stack.ts's becomes(), an error thrown by `done` fails the caller at once:
 * a name that errs while it changes through the watcher is itself a difference from the kernel.
 */
export async function shows(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (done()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return done();
}

/** The fd of daemon `pid` whose /proc link reads `link` ('/dev/fuse', 'anon_inode:[fanotify]'). */
export function daemonFd(pid: number, link: string): number {
  const fd = readdirSync(`/proc/${pid}/fd`).find((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`) === link);
  if (fd === undefined) throw new Error(`pid ${pid} holds no ${link} fd`);
  return Number(fd);
}
