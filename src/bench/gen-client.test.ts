import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runTool } from '../sys/index.js';
import { clientProgExit, genClientProject } from './gen-client.js';

t.test('the generated project builds with make -j2 and its program exits as clientProgExit says', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-gen-client-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A different status for each size, so a check that expects a fixed value fails.
  t.same([1, 2, 3, 4].map(clientProgExit), [2, 7, 17, 34]);
  for (const progs of [1, 2]) {
    const proj = join(dir, String(progs));
    genClientProject(proj, progs);
    const made = await runTool('make', ['-C', proj, '-j2', '-s']);
    t.equal(made.exitCode, 0, made.stderr);
    const ran = await runTool(join(proj, 'prog'), []);
    t.equal(ran.exitCode, clientProgExit(progs), `${progs} files`);
  }
});
