import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { readDivergenceFile, readJsonFile } from './json-file.js';

const dir = mkdtempSync(join(tmpdir(), 'ovl-json-file-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('a JSON file is parsed; a missing or broken one is a usage error naming file and purpose', async (t) => {
  const good = join(dir, 'good.json');
  writeFileSync(good, '{"cases": []}');
  t.same(readJsonFile(good, 'the corpus'), { cases: [] });
  const missing = join(dir, 'missing.json');
  const err = t.throws(() => readJsonFile(missing, 'the corpus'));
  t.ok(err instanceof UsageError);
  t.match(err, { message: `${missing}: cannot read the corpus: ENOENT` });
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{"cases": [');
  t.throws(() => readJsonFile(broken, 'the corpus'), { message: new RegExp(`^${broken}: cannot read the corpus: .*JSON`) });
});

t.test('a divergence file must have its scenario and suite', async (t) => {
  const f = join(dir, 'div.json');
  writeFileSync(f, JSON.stringify({ suite: 'basic', seed: 1, run: 2, scenario: { steps: [] } }));
  t.match(readDivergenceFile(f, 'the divergence to keep'), { suite: 'basic', run: 2 });
  writeFileSync(f, JSON.stringify({ suite: 'basic' }));
  t.throws(() => readDivergenceFile(f, 'the divergence to keep'), { message: `${f}: not an ovl-check divergence file (no scenario)` });
});
