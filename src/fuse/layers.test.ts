import t from 'tap';
import { resolveMountOptions, parseMountOptions } from '../format/index.js';
import { childPath, layerStack, realPath, splitPath } from './layers.js';

t.test('merged paths map onto every layer root', async (t) => {
  t.same(splitPath('/a/b'), ['/a', 'b']);
  t.same(splitPath('/a'), ['/', 'a']);
  t.equal(childPath('/', 'a'), '/a');
  t.equal(childPath('/a', 'b'), '/a/b');
  t.equal(realPath('/u', '/'), '/u');
  t.equal(realPath('/u', '/a/b'), '/u/a/b');
});

t.test('the stack is upper first, then the lowers top first', async (t) => {
  const s = layerStack(resolveMountOptions(parseMountOptions('lowerdir=/l1:/l2,upperdir=/u,workdir=/w')));
  t.same(s.all.map((l) => [l.index, l.root, l.upper]), [[0, '/u', true], [1, '/l1', false], [2, '/l2', false]]);
  t.equal(s.work, '/w/work');
  const ro = layerStack(resolveMountOptions(parseMountOptions('lowerdir=/l1:/l2')));
  t.equal(ro.upper, null);
  t.equal(ro.work, null);
  t.same(ro.lowers.map((l) => l.index), [0, 1]);
});
