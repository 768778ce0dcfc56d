// Leave nothing behind: every mount below a prefix is unmounted (deepest first), on the normal
// path, on a failure and on Ctrl-C; FUSE daemons still serving dirs below it after their
// unmount are found (they would eat CPU in later measurements) and stopped.
import { readFileSync, readdirSync } from 'node:fs';
import { listMounts, umountSurely } from '../sys/index.js';

export async function unmountBelow(prefix: string): Promise<string[]> {
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const stale = listMounts()
    .map((m) => m.target)
    .filter((t) => t.startsWith(base))
    .sort((a, b) => b.length - a.length);
  for (const t of stale) await umountSurely(t);
  return stale;
}

export interface Lingering {
  pid: number;
  cmd: string;
}

/** Processes other than this one whose command line names a path below `prefix`. */
export function lingering(prefix: string): Lingering[] {
  const out: Lingering[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    const pid = Number(p);
    if (pid === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').filter((a) => a.length > 0);
      if (argv.some((a) => a.startsWith(prefix) || a.includes(`=${prefix}`))) out.push({ pid, cmd: argv.join(' ').slice(0, 200) });
    } catch {
      // it ended while we looked
    }
  }
  return out;
}

/** Wait up to `graceMs` for daemons below `prefix` to exit after their unmount; SIGTERM the rest. */
export async function reapDaemons(prefix: string, graceMs = 3000): Promise<Lingering[]> {
  for (let waited = 0; waited < graceMs && lingering(prefix).length > 0; waited += 100) await new Promise((r) => setTimeout(r, 100));
  const left = lingering(prefix);
  for (const l of left) {
    try {
      process.kill(l.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  return left;
}
