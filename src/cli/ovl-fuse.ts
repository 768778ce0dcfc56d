// ovl-fuse as an ES module (the sources, dist/): runs the command. bin/ovl-fuse runs the bundle's
// ovl-fuse-boot.cjs instead, which loads the same command faster.
import { run } from './ovl-fuse-main.js';

await run();
