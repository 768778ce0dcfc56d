// Notifications the session worker hands to the main thread (a listing or page-cache drop, an
// entry drop from the layer watcher) are copied, not transferred: a transfer detaches the
// buffer's ArrayBuffer, and the first detach in a thread invalidates V8's ArrayBufferDetaching
// protector, which deoptimises every compiled function that touches a typed array (the whole
// codec and loop) and makes TurboFan compile them all again (docs/fuse.md, "Create, sixth pass").
import { appendFileSync, chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fuseOptions, startFuse } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';

const until = async (ok: () => boolean): Promise<boolean> => {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
  return ok();
};

t.test('serving requests that send notifications never detaches an ArrayBuffer', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-notify-copy-');
  mkdirSync(join(d.lowers[0]!, 'dir'));
  writeFileSync(join(d.lowers[0]!, 'dir', 'lower'), 'old\n');
  // V8 prints the invalidation of a protector cell (either thread's) on the daemon's stdout.
  const log = join(d.root, 'v8.log');
  const node = join(d.root, 'node');
  writeFileSync(node, `#!/bin/sh\nexec '${process.execPath}' --trace-protector-invalidation "$@" >> '${log}'\n`);
  chmodSync(node, 0o755);
  const m = await startFuse(t, fuseOptions(d), d.merged, { OVL_FUSE_NODE: node });
  t.same(readdirSync(m.merged), ['dir']);
  // A create in a lower dir copies the dir up: the root's listing drop goes through the main thread.
  writeFileSync(join(m.merged, 'dir', 'new'), 'x');
  mkdirSync(join(m.merged, 'sub'));
  t.same(readdirSync(m.merged).sort(), ['dir', 'sub']);
  // A lower file the kernel holds, changed beside the mount: the watcher drops its pages the same way.
  t.equal(readFileSync(join(m.merged, 'dir', 'lower'), 'utf8'), 'old\n');
  appendFileSync(join(d.lowers[0]!, 'dir', 'lower'), 'more\n');
  t.ok(await until(() => readFileSync(join(m.merged, 'dir', 'lower'), 'utf8') === 'old\nmore\n'), 'the change shows');
  const lines = readFileSync(log, 'utf8').split('\n');
  t.same(lines.filter((l) => /ArrayBufferDetaching/.test(l)), []);
});
