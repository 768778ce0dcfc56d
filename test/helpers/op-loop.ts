// A node child that runs one JS statement in a loop (the count so far is `i`), for clients racing
// through a mount: each outcome counted by errno, so a test can say which calls failed and how.
import { spawn } from 'node:child_process';

/** Runs `body` (with `fs` in scope) in a loop for `ms`; resolves the count of outcomes: `ok`, or each error code. */
export function opLoop(body: string, ms: number): Promise<Record<string, number>> {
  const script = `
    const fs = require('node:fs');
    const counts = {};
    const end = Date.now() + ${ms};
    let i = 0;
    while (Date.now() < end) {
      i++;
      try { ${body}; counts.ok = (counts.ok ?? 0) + 1; }
      catch (e) { counts[e.code] = (counts[e.code] ?? 0) + 1; }
    }
    process.stdout.write(JSON.stringify(counts));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  return new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}`)))));
}
