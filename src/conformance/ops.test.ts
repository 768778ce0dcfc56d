import t from 'tap';
import { describeOp } from './ops.js';

t.test('describeOp reads as the call it makes', async (t) => {
  t.equal(describeOp({ op: 'rename', from: 'a', to: 'd/b', flag: 'noreplace' }), 'rename("a" -> "d/b", noreplace)');
  t.equal(describeOp({ op: 'open', path: 'a', access: 'rw', trunc: true, fd: 1 }), 'fd1 = open("a", O_RDWR|O_TRUNC)');
  t.equal(describeOp({ op: 'open', path: 'a', access: 'r' }), 'open("a", O_RDONLY)');
  t.equal(describeOp({ op: 'write', path: 'a', offset: 3, data: 'xy' }), 'write("a", @3, "xy")');
  t.equal(describeOp({ op: 'mknod', path: 'c', type: 'chr', mode: 0o644, major: 1, minor: 3 }), 'mknod("c", chr 1:3, 0644)');
  t.equal(describeOp({ op: 'mknod', path: 'f', type: 'fifo', mode: 0o644 }), 'mkfifo("f", 0644)');
  t.equal(describeOp({ op: 'mutate', layer: 0, action: 'replace', path: 'a', data: 'N' }), 'mutate(l1: replace "a" "N")');
  t.equal(describeOp({ op: 'mutate', layer: -1, action: 'rename', path: 'd', to: 'e' }), 'mutate(upper: rename "d" -> "e")');
  t.equal(describeOp({ op: 'remount' }), 'remount()');
  t.equal(describeOp({ op: 'unlink', path: 'd/x' }), 'unlink("d/x")');
  t.equal(describeOp({ op: 'relist', dir: 0 }), 'rewind+readdir(dir0)');
});
