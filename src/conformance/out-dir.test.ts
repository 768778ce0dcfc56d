import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { UsageError } from '../errors.js';
import { prepareOutDir } from './out-dir.js';

const dir = mkdtempSync(join(tmpdir(), 'ovl-out-dir-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('an existing dir is kept; missing dirs are made; the probe leaves nothing', async (t) => {
  t.equal(prepareOutDir(dir), dir);
  const deep = join(dir, 'a', 'b');
  t.equal(prepareOutDir(deep), deep);
  t.ok(statSync(deep).isDirectory());
  t.same(readdirSync(deep), []);
});

// A read-only review: these ran every suite, then failed (ENOTDIR) or hung in a recursive mkdir.
t.test('a file, a path under a file, or a place no dir can be made is a usage error naming --out', async (t) => {
  const file = join(dir, 'afile');
  writeFileSync(file, 'keep');
  for (const [out, why] of [
    [file, `${file} is not a directory`],
    [join(file, 'sub'), 'ENOTDIR'],
    ['/proc/x', 'cannot write reports there: ENOENT'],
    ['/proc/x/y', 'cannot write reports there: ENOENT'],
    ['/proc', 'cannot write reports there: ENOENT'],
  ] as const) {
    const err = t.throws(() => prepareOutDir(out), { message: new RegExp(`^--out ${out}: .*${why}`) }, out);
    t.ok(err instanceof UsageError, out);
  }
  t.equal(readFileSync(file, 'utf8'), 'keep');
  t.notOk(existsSync('/proc/x'));
});
