import { cachedDataVersionTag } from 'node:v8';
import t from 'tap';
import { DAEMON_V8_FLAGS, useDaemonV8Flags } from './v8-flags.js';

t.test('the daemon flags reach V8: the code-cache tag changes once, then stays', (t) => {
  const before = cachedDataVersionTag();
  useDaemonV8Flags();
  const after = cachedDataVersionTag();
  t.not(after, before, DAEMON_V8_FLAGS);
  useDaemonV8Flags();
  t.equal(cachedDataVersionTag(), after);
  t.end();
});
