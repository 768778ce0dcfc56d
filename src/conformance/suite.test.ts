import t from 'tap';
import { UsageError } from '../errors.js';
import { resolveSuites } from './suite.js';

t.test('--suite: a comma list, each name once; an empty one is refused', async (t) => {
  t.same(resolveSuites('basic,rename').map((s) => s.name), ['basic', 'rename']);
  // A review found `basic,basic` running the suite twice, both under one name in the report.
  t.same(resolveSuites('basic,basic,').map((s) => s.name), ['basic']);
  for (const spec of ['', ',']) t.throws(() => resolveSuites(spec), UsageError, JSON.stringify(spec));
  t.ok(resolveSuites('all').length > 10);
});
