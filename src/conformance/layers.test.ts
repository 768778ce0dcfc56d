import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { isCharWhiteout, OverlayXattrs } from '../format/index.js';
import { getXattr } from '../sys/index.js';
import { buildLayer } from './layers.js';
import { SETUP_TIME_SEC } from './scenario.js';

const ovl = new OverlayXattrs(false);

t.test('a layer is built parents first, markers included, with the fixed setup times', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-layer-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const skipped = buildLayer(root, {
    entries: [
      { path: 'd/x', kind: 'file', content: 'X', mode: 0o600, xattrs: { 'user.a': 'v' } },
      { path: 'd', kind: 'dir', mode: 0o755, opaque: true },
      { path: 'h', kind: 'hardlink', to: 'd/x' },
      { path: 's', kind: 'symlink', target: '../a' },
      { path: 'w', kind: 'whiteout' },
      { path: 'xw', kind: 'xwhiteout' },
      { path: 'f', kind: 'fifo', mode: 0o644 },
      // Cannot exist in this layer: parent is a file, hard link to a dir, link to nothing.
      { path: 'xw/sub', kind: 'file', content: '', mode: 0o644 },
      { path: 'h2', kind: 'hardlink', to: 'd' },
      { path: 'h3', kind: 'hardlink', to: 'nope' },
    ],
  });
  t.same(skipped.sort(), ['h2', 'h3', 'xw/sub']);
  t.equal(readFileSync(join(root, 'd/x'), 'utf8'), 'X');
  t.equal(lstatSync(join(root, 'd/x')).mode & 0o7777, 0o600);
  t.equal(getXattr(join(root, 'd/x'), 'user.a')?.toString(), 'v');
  t.equal(getXattr(join(root, 'd'), ovl.name('opaque'))?.toString(), 'y');
  t.equal(lstatSync(join(root, 'h')).ino, lstatSync(join(root, 'd/x')).ino);
  t.equal(readlinkSync(join(root, 's')), '../a');
  t.ok(isCharWhiteout(lstatSync(join(root, 'w'))));
  t.not(getXattr(join(root, 'xw'), ovl.name('whiteout')), null);
  t.ok(lstatSync(join(root, 'f')).isFIFO());
  for (const p of ['', 'd', 'd/x', 's', 'w', 'f']) t.equal(Math.floor(lstatSync(join(root, p)).mtimeMs / 1000), SETUP_TIME_SEC, `mtime of '${p}'`);
});
