import { copyFileSync, chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { decodeName, osPath } from '../format/byte-names.js';
import { STATIC_BINARY, holdProgram, runProgram } from './programs.js';

t.test('a program whose path holds a name that is not UTF-8 runs from that path (a review: argv turned the byte into U+FFFD)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-programs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, decodeName(Buffer.from([0x78, 0xff])));
  copyFileSync(STATIC_BINARY, osPath(path));
  chmodSync(osPath(path), 0o755);
  t.equal(runProgram(path, 'echo', ['ok'], 5000, dir).stdout, 'ok\n');
  const held = await holdProgram(path, 'sleep', ['5'], dir);
  held.stop();
  t.throws(() => runProgram(join(dir, decodeName(Buffer.from([0x78, 0xfe]))), 'echo', [], 5000, dir), { code: 'ENOENT' }, 'a name one byte away is not it');
});
