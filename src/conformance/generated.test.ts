import t from 'tap';
import type { Classified } from './divergences.js';
import { divergenceCategory } from './generated.js';

const d = (where: string, field: string, op?: string, accepted?: string): Classified => ({
  difference: { where, field, ...(op ? { op, opIndex: 0 } : {}), reference: 1, target: 2 },
  ...(accepted ? { accepted } : {}),
});

t.test('a divergence is categorised by its first unexpected difference: place, field and op', async (t) => {
  t.equal(divergenceCategory([d('op', 'result', 'rename("a" -> "b")')]), 'op:result@rename');
  t.equal(divergenceCategory([d('op', 'stat.size', 'fd0 = open("a", O_RDONLY)')]), 'op:stat.size@open', 'a held handle is named by its op');
  t.equal(divergenceCategory([d('upper', 'stat.atime', undefined, 'some-rule'), d('upper', 'xattr:trusted.overlay.origin')]), 'upper:xattr:trusted.overlay.origin', 'accepted ones are skipped');
  t.equal(divergenceCategory([d('merged', 'exists', undefined, 'r')]), undefined, 'nothing unexpected: no category');
});
