// A lower file rewritten in place while mounted, read back through the mount right after: with the
// layer watcher on, the read must see the new content at its new size. The watcher's invalidation
// used to go out whole from the notifying thread, so under load the client's open and read could
// come first: the open dropped the pages (the node's open-time mtime was forgotten) while the
// kernel still held the old size, and "NEW-longer" read back as "NEW" (13–44 of 200 rounds under
// three busy loops on this 2-CPU VM). The attributes are now dropped by the loop before it answers.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { mountFuse } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';

const ROUNDS = 200;

t.test('every rewritten lower file reads back whole, at once', async (t) => {
  const d = layerDirs(t, 1);
  const l = d.lowers[0]!;
  for (let i = 0; i < ROUNDS; i++) writeFileSync(join(l, `p${i}`), 'old');
  await mountFuse(t, d);
  const seen = new Set<string>();
  for (let i = 0; i < ROUNDS; i++) {
    readFileSync(join(d.merged, `p${i}`), 'utf8');
    writeFileSync(join(l, `p${i}`), 'NEW-longer');
    seen.add(readFileSync(join(d.merged, `p${i}`), 'utf8'));
  }
  t.same([...seen], ['NEW-longer']);
});
