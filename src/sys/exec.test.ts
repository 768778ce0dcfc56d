import t from 'tap';
import { firstLine, runTool } from './exec.js';

t.test('runTool collects output and the exit status', async (t) => {
  const r = await runTool('sh', ['-c', 'echo out; echo err >&2; exit 3']);
  t.equal(r.exitCode, 3);
  t.equal(r.stdout, 'out\n');
  t.equal(r.stderr, 'err\n');
  t.equal(r.failure, '');
  t.equal(firstLine(r), 'err');
});

t.test('runTool reports a missing program and a timeout instead of throwing', async (t) => {
  const missing = await runTool('/nonexistent/tool', []);
  t.equal(missing.exitCode, null);
  t.not(missing.failure, '');
  const slow = await runTool('sleep', ['5'], { timeoutMs: 100 });
  t.equal(slow.exitCode, null);
  t.match(slow.failure, /^timeout/);
});

t.test('discardStdout drops the output', async (t) => {
  const r = await runTool('sh', ['-c', 'echo hidden'], { discardStdout: true });
  t.equal(r.exitCode, 0);
  t.equal(r.stdout, '');
});
