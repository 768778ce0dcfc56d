// linkFd: an O_TMPFILE given a name by its fd (AT_EMPTY_PATH) and, where the kernel refuses that
// (ENOENT: no CAP_DAC_READ_SEARCH, and since 6.10 the fd was not opened with the caller's
// credentials), through its /proc/self/fd link; EEXIST either way.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, readFileSync, rmSync, writeSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { O_TMPFILE, linkFd, setStatusFlags } from './space.js';

/** Make an unnamed file in `dir` holding `data`, link it to `name`, and report what happened. */
function linkNew(dir: string, name: string, data: string): string {
  const fd = openSync(dir, O_TMPFILE | constants.O_WRONLY, 0o600);
  try {
    writeSync(fd, data);
    linkFd(fd, join(dir, name));
    return readFileSync(join(dir, name), 'utf8');
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    closeSync(fd);
  }
}

// The child half: link the unnamed file it inherited as fd 3, without CAP_DAC_READ_SEARCH and
// with credentials other than those it was opened with (setpriv, below).
if (process.env.OVLKIT_LINKFD_CHILD) {
  const dir = process.env.OVLKIT_LINKFD_CHILD;
  let said = 'linked';
  try {
    linkFd(3, join(dir, 'b'));
  } catch (err) {
    said = (err as { code?: string }).code ?? String(err);
  }
  process.stdout.write(said);
} else {
  t.test('linkFd names an unnamed file, by its fd or through /proc', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ovlkit-linkfd-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    t.equal(linkNew(dir, 'a', 'first'), 'first', 'linked by its fd');
    t.equal(linkNew(dir, 'a', 'other'), 'EEXIST', 'an existing name is not replaced');
    const child = (fd: number): string =>
      execFileSync(
        'strace',
        ['-f', '-qq', '-e', 'trace=linkat', '-o', join(dir, 'trace'), 'setpriv', '--inh-caps=-dac_read_search', '--bounding-set=-dac_read_search', process.execPath, ...process.execArgv, process.argv[1]!],
        { env: { ...process.env, OVLKIT_LINKFD_CHILD: dir }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit', fd] },
      );
    const fd = openSync(dir, O_TMPFILE | constants.O_WRONLY, 0o600);
    try {
      writeSync(fd, 'second');
      t.equal(child(fd), 'linked');
      t.equal(readFileSync(join(dir, 'b'), 'utf8'), 'second', 'the data is under the new name');
      t.match(readFileSync(join(dir, 'trace'), 'utf8'), /AT_EMPTY_PATH\) = -1 ENOENT[^]*linkat\(AT_FDCWD, "\/proc\/self\/fd\/3"/, 'refused by fd, linked through /proc');
      t.equal(child(fd), 'EEXIST', 'EEXIST the same through /proc');
    } finally {
      closeSync(fd);
    }
  });
}

// (Not in the linkFd child above, whose stdout is its answer.)
if (!process.env.OVLKIT_LINKFD_CHILD) {
  t.test('setStatusFlags gives an open fd O_APPEND (copy_file_range refuses one opened so)', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ovlkit-setfl-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const f = join(dir, 'f');
    const fd = openSync(f, constants.O_WRONLY | constants.O_CREAT, 0o600);
    try {
      writeSync(fd, 'abc', 0);
      setStatusFlags(fd, constants.O_APPEND);
      writeSync(fd, 'd', 0);
      t.equal(readFileSync(f, 'utf8'), 'abcd', 'a write at offset 0 now lands at the end');
    } finally {
      closeSync(fd);
    }
    t.throws(() => setStatusFlags(fd, constants.O_APPEND), { code: 'EBADF' }, 'a closed fd: EBADF');
  });
}
