// bin/ovl-fuse's entry into the bundle (scripts/bundle.mjs builds this as
// dist/bundle/ovl-fuse-boot.cjs): start the session worker from the raw arguments (prestart.ts),
// then load the command (ovl-fuse-main.ts, bundled as one CommonJS file, ovl-fuse-cli.cjs)
// compiled from its V8 code cache (code-cache.ts) and run it. Why: as ES chunks the command took
// ~30 ms to load (resolve, link and compile each) on a mount's critical path, beside the worker's
// start-up on the other CPU. Small on purpose: this file itself is compiled without a cache.
import { fileURLToPath } from 'node:url';
import { mark } from '../fuse/startup-marks.js';
import { prestartForArgs } from '../fuse/session/prestart.js';
import type * as Cli from './ovl-fuse-main.js';

prestartForArgs(process.argv.slice(2), process.env);
// Imported only now (the bundle inlines it, lazily): the worker starts before node:vm, node:zlib and
// the rest that the code cache needs are loaded.
void import('../fuse/session/code-cache.js').then(({ requireCached }) => {
  const file = fileURLToPath(new URL('./ovl-fuse-cli.cjs', import.meta.url));
  const loaded = requireCached(file, file.replace(/\.cjs$/, '.cache'));
  if (loaded.rejected) mark('cli-cache-refused');
  return (loaded.exports as unknown as typeof Cli).run();
});
