// The bundled command's session worker (src/fuse/session/worker-boot.ts, built as
// dist/bundle/worker-boot.cjs): prestart.ts starts it early and hands it only to a mount of the
// bundle's own filesystem; a mount of any other filesystem module gets the ES worker instead.
// Run in a child node against the built bundle, as bin/ovl-fuse loads it.
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execa } from 'execa';
import t from 'tap';

const bundle = realpathSync(fileURLToPath(new URL('../../dist/bundle', import.meta.url)));

/** threadIds of the prestarted worker and of the one takeWorker(fsModule) gives, in a fresh node. */
async function taken(fsModule: string): Promise<{ early: number; taken: number }> {
  // threadIds count up per process; a throwaway worker first says which one the next will get
  // (under tap, its loader hooks may have a thread of their own).
  const code = `
    const { Worker } = await import('node:worker_threads');
    const before = new Worker('0', { eval: true }).threadId;
    const p = await import(${JSON.stringify(pathToFileURL(join(bundle, 'prestart.js')).href)});
    p.prestartWorker();
    const w = p.takeWorker(${JSON.stringify(fsModule)});
    console.log(JSON.stringify({ early: before + 1, taken: w.threadId }));
    process.exit(0);`;
  const r = await execa(process.execPath, ['--input-type=module', '-e', code], { timeout: 60_000 });
  return JSON.parse(r.stdout) as { early: number; taken: number };
}

t.test('the built bundle has the CommonJS worker entry', async (t) => {
  t.ok(realpathSync(join(bundle, 'worker-boot.cjs')));
});

t.test("the prestarted worker is handed to a mount of the bundle's own filesystem", async (t) => {
  const r = await taken(pathToFileURL(join(bundle, 'watch-start.js')).href);
  t.equal(r.taken, r.early, 'the first worker of the process, started early');
});

t.test('a mount of another filesystem module gets a new (ES) worker, not the bundled one', async (t) => {
  const r = await taken(pathToFileURL(join(bundle, 'other-fs.js')).href);
  t.not(r.taken, r.early);
});
