// Test fixtures of the scan (scan.test.ts, scan-wire.test.ts): a layer dir with every entry type,
// and faults to inject into the sys calls the scan makes.
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dirents from '../sys/dirents.js';
import { mknod, setXattr } from '../sys/index.js';
import * as statx from '../sys/statx.js';

/** An unstat'able fifo and an unreadable dir/sub, for the scan here and the scan threads' walk (scan-wire.test.ts). */
export const faults = {
  '../sys/statx.js': {
    ...statx,
    lstatAt: (fd: number, name: string, p: string) => {
      if (p.endsWith('/fifo')) throw Object.assign(new Error('denied'), { code: 'EACCES' });
      return statx.lstatAt(fd, name, p);
    },
    lstatAtRow: (fd: number, name: string, p: string, out: Float64Array, row: number) => {
      if (p.endsWith('/fifo')) throw Object.assign(new Error('denied'), { code: 'EACCES' });
      statx.lstatAtRow(fd, name, p, out, row);
    },
  },
  '../sys/dirents.js': {
    ...dirents,
    readNamesAt: (fd: number, p: string) => {
      if (p.endsWith('/sub')) throw Object.assign(new Error('io'), { code: 'EIO' });
      return dirents.readNamesAt(fd, p);
    },
  },
};

export const layer = (t: { teardown(fn: () => void): void }) => {
  const d = mkdtempSync(join(tmpdir(), 'ovl-dedup-scan-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  mkdirSync(join(d, 'dir/sub'), { recursive: true });
  writeFileSync(join(d, 'dir/file'), 'hello');
  linkSync(join(d, 'dir/file'), join(d, 'hard'));
  symlinkSync('dir/file', join(d, 'link'));
  mknod(join(d, 'fifo'), 0o010600);
  mknod(join(d, 'wh'), 0o020000, 0);
  setXattr(join(d, 'dir'), 'trusted.overlay.opaque', 'y');
  setXattr(join(d, 'dir/file'), 'user.b', '2');
  setXattr(join(d, 'dir/file'), 'user.a', '1');
  return d;
};
