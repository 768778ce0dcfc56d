// While one request of a mount waits for a stalled disk (an fsync, a READ), requests about other
// files must still be answered: a stat and a listing, each in another process killed if it is not
// done in 10 s (a FUSE request waits killably). The mount has `small` (6 bytes) and `sub/f`.
import { join } from 'node:path';
import { execa } from 'execa';
import type { Test } from 'tap';

/** A command in another process, killed if it is not done in 10 s. */
export function bounded(file: string, args: string[]) {
  return execa(file, args, { timeout: 10_000, killSignal: 'SIGKILL', reject: false });
}

/** `stat small` and `ls sub` under `merged` are answered, with what they should say. */
export async function othersAnswered(t: Test, merged: string): Promise<void> {
  const stat = await bounded('stat', ['-c', '%s', join(merged, 'small')]);
  t.equal(stat.exitCode, 0, 'the stat was answered');
  t.equal(stat.stdout, '6');
  const ls = await bounded('ls', [join(merged, 'sub')]);
  t.equal(ls.exitCode, 0, 'the listing was answered');
  t.equal(ls.stdout, 'f');
}
