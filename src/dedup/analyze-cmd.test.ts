import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { UsageError } from '../errors.js';
import { checkedRoot } from './analyze-cmd.js';
import { isInside } from './output-path.js';
import { checkedOut } from './convert.js';

t.test('paths inside the data root are found through symlinks, existing or not', async (t) => {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'ovl-dedup-inside-')));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  const root = join(d, 'root');
  mkdirSync(join(root, 'sub'), { recursive: true });
  symlinkSync(join(root, 'sub'), join(d, 'alias'));
  t.ok(isInside(root, root));
  t.ok(isInside(join(root, 'sub', 'new', 'file.json'), root));
  t.ok(isInside(join(d, 'alias', 'report.json'), root), 'a symlink into the root');
  t.notOk(isInside(join(d, 'rootless', 'x'), root), 'a sibling whose name starts the same');
  t.notOk(isInside(d, root));
  t.throws(() => checkedOut(root, join(d, 'alias', 'out')), UsageError);
  t.throws(() => checkedOut(root, d), new UsageError(`--out ${d}: contains the data root ${root}`));
  t.equal(checkedOut(root, join(d, 'out')), join(d, 'out'));
  t.equal(checkedRoot(join(d, 'alias')), join(root, 'sub'), 'the root is used by its real path');
  // A dangling link is judged by where a write through it would create its target (a review
  // found `--json` given as such a link written into the root).
  symlinkSync(join(root, 'sub', 'new.json'), join(d, 'dangling.json'));
  t.ok(isInside(join(d, 'dangling.json'), root), 'a dangling symlink into the root');
  symlinkSync('dangling.json', join(d, 'chained.json'));
  t.ok(isInside(join(d, 'chained.json'), root), 'a link to that link');
  symlinkSync('../x.json', join(root, 'sub', 'up.json'));
  t.ok(isInside(join(d, 'alias', 'up.json'), root), "'..' in a link's target taken from its real dir");
  symlinkSync(join(d, 'elsewhere.json'), join(d, 'out.json'));
  t.notOk(isInside(join(d, 'out.json'), root), 'a dangling link out of the root');
  symlinkSync('loop', join(d, 'loop'));
  t.notOk(isInside(join(d, 'loop'), root), 'a link loop ends');
});

t.test('a root that is no directory is named with the reason', async (t) => {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'ovl-dedup-unreadable-')));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  t.throws(() => checkedRoot(join(d, 'file', 'x')), /no such directory|cannot stat/);
  writeFileSync(join(d, 'file'), '');
  t.throws(() => checkedRoot(join(d, 'file')), { message: `${join(d, 'file')}: not a directory`, code: 'ENOTDIR' });
  t.throws(() => checkedRoot(join(d, 'file', 'x')), { message: `${join(d, 'file', 'x')}: cannot stat (ENOTDIR)`, code: 'ENOTDIR' });
});
