// Test fixture for the tests of native calls (fanotify, file handles, the layer watcher): a temp
// dir on the root filesystem, optionally with a private tmpfs mounted inside it (a second
// filesystem with other handle and fsid rules), both gone in teardown even when the test fails;
// and changes made by another process (what a watcher ignoring its own pid must see).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMounted, umountSurely } from '../../src/sys/mount.js';
import { mountTmpfs } from '../../src/sys/tmpfs.js';
import type { Teardowns } from './layers.js';

/** A new temp dir `ovlkit-<prefix>-…` on the root filesystem, removed in teardown. */
export function scratchDir(t: Teardowns, prefix: string): string {
  const root = mkdtempSync(join(tmpdir(), `ovlkit-${prefix}-`));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

/** A temp dir on the root filesystem and an 8 MiB tmpfs at `<root>/tmpfs`, unmounted and removed in teardown. */
export function scratchFilesystems(t: Teardowns, prefix: string): { root: string; tmpfs: string } {
  const root = mkdtempSync(join(tmpdir(), `ovlkit-${prefix}-`));
  const tmpfs = join(root, 'tmpfs');
  mkdirSync(tmpfs);
  t.teardown(async () => {
    if (isMounted(tmpfs)) await umountSurely(tmpfs);
    rmSync(root, { recursive: true, force: true });
  });
  mountTmpfs(tmpfs, '8m');
  return { root, tmpfs };
}

/** Run a shell script in `cwd` as another process. */
export const sh = (script: string, cwd: string) => execFileSync('sh', ['-c', script], { cwd });
