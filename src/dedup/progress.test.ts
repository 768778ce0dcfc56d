import t from 'tap';
import { ttyProgress } from './progress.js';

const stream = (isTTY: boolean) => {
  const out: string[] = [];
  return { out, s: { isTTY, write: (x: string) => out.push(x) } as unknown as NodeJS.WriteStream };
};

t.test('silent unless stderr is a terminal', async (t) => {
  t.equal(ttyProgress(stream(false).s), undefined);
});

t.test('a one-line bar, cleared at the end', async (t) => {
  const { out, s } = stream(true);
  const p = ttyProgress(s)!;
  p.phase('scan', 4);
  p.tick(2);
  p.done();
  t.same(out, [`\rscan [${'#'.repeat(15)}${'.'.repeat(15)}] 2/4\x1b[K`, '\r\x1b[K']);
});

t.test('the hash phase counts bytes', async (t) => {
  const { out, s } = stream(true);
  const p = ttyProgress(s)!;
  p.phase('hash', 2_000_000);
  p.tick(2_000_000);
  t.match(out[0], /hash \[#{30}\] 2.0 MB\/2.0 MB/, "analyze's units, not docker's 2MB");
});
