import t from 'tap';
import { roundOrder } from './section.js';

t.test('each round starts one target further on, so every target leads equally often', async (t) => {
  const targets = ['kernel', 'fuse-overlayfs', 'ovl-fuse'];
  t.same(roundOrder(targets, 1), ['kernel', 'fuse-overlayfs', 'ovl-fuse']);
  t.same(roundOrder(targets, 2), ['fuse-overlayfs', 'ovl-fuse', 'kernel']);
  t.same(roundOrder(targets, 3), ['ovl-fuse', 'kernel', 'fuse-overlayfs']);
  t.same(roundOrder(targets, 4), roundOrder(targets, 1));
  t.same(roundOrder([], 2), []);
});
