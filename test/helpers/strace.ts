// The syscalls this test process makes while a function runs, as strace attached to it sees them:
// for behaviour that is only visible as calls (an fsync, and where it falls among the others).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

/** Names of the calls among `names` that process `pid` (this one by default; all its threads) makes while `fn` runs, in order. */
export async function syscallsDuring(t: Test, names: string[], fn: () => void, pid = process.pid): Promise<string[]> {
  const call = new RegExp(`\\b(${names.join('|')})\\(`);
  return (await syscallLinesDuring(t, names, fn, pid)).map((l) => call.exec(l)?.[1]).filter((c) => c !== undefined);
}

/** strace's lines (arguments and results) of those calls, for a test that needs an argument. */
export async function syscallLinesDuring(t: Test, names: string[], fn: () => void, pid = process.pid): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-strace-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'log');
  const tracer = spawn('strace', ['-f', '-e', `trace=${names.join(',')}`, '-o', log, '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => void tracer.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    let said = '';
    tracer.stderr.on('data', (b: Buffer) => {
      said += b.toString();
      if (/attached/.test(said)) resolve();
    });
    tracer.on('error', reject);
    tracer.on('exit', (code) => reject(new Error(`strace exited ${code}: ${said}`)));
  });
  fn();
  const exited = once(tracer, 'exit');
  tracer.kill('SIGINT');
  await exited;
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}
