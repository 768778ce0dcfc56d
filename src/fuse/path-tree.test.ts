// The path tree gives what a prefix scan of every key gave: random notes and subtree drops, checked
// against a plain set of the noted paths.
import t from 'tap';
import fc from 'fast-check';
import { PathTree } from './path-tree.js';

const path = fc.array(fc.constantFrom('a', 'b', 'ab'), { minLength: 0, maxLength: 4 }).map((p) => '/' + p.join('/'));
const op = fc.oneof(
  fc.record({ op: fc.constant('add' as const), path }),
  fc.record({ op: fc.constant('take' as const), path }),
  fc.record({ op: fc.constant('clear' as const) }),
);

t.test('takeBelow returns every noted path below, and only paths below, and forgets the path itself', (t) => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 50 }), (ops) => {
      const tree = new PathTree();
      const noted = new Set<string>();
      for (const o of ops) {
        if (o.op === 'add') {
          tree.add(o.path);
          noted.add(o.path);
        } else if (o.op === 'clear') {
          tree.clear();
          noted.clear();
        } else {
          const prefix = o.path === '/' ? '/' : o.path + '/';
          const got = new Set(tree.takeBelow(o.path));
          for (const p of got) if (!p.startsWith(prefix) || p === o.path) return false;
          for (const p of noted) {
            if (!p.startsWith(prefix) || p === o.path) continue;
            if (!got.has(p)) return false;
            noted.delete(p);
          }
          noted.delete(o.path);
        }
      }
      return true;
    }),
    { numRuns: 1000 },
  );
  t.pass('the tree agrees with a prefix scan');
  t.end();
});
