import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { UsageError } from '../errors.js';
import { checkedRoot, isInside } from './analyze-cmd.js';
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
});
