// ovl-dedup on a data root whose path is not UTF-8 (`--data-root /srv/d\xe9`, which dockerd
// takes as bytes): before 2026-12-07 node's argv turned the byte into U+FFFD, and every command
// answered "no such directory" for a root that exists. Commands run in bash, whose $'\xe9' words
// are bytes; the same root under a plain name is the reference.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { decodeName } from '../../src/format/byte-names.js';
import { writeFakeRoot } from '../../src/dedup/fake-root.js';
import { existsSync, rmSync as rmBytes, writeFileSync } from '../../src/sys/fs-bytes.js';

const bin = fileURLToPath(new URL('../../bin/ovl-dedup', import.meta.url));
const b = (latin1: string) => decodeName(Buffer.from(latin1, 'latin1'));
const work = mkdtempSync(join(tmpdir(), 'ovl-dedup-bytes-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

/** A legacy root: a 300 kB file, removed in the layer above, and a name that is not UTF-8 either. */
function makeRoot(root: string): void {
  writeFakeRoot(root, 'overlay', [{
    tags: ['waste:1'],
    layers: [
      { id: 'a'.repeat(64), build: (d) => { writeFileSync(join(d, 'big'), Buffer.alloc(300_000, 1)); writeFileSync(join(d, b('n\xe8')), 'x'); } },
      { id: 'b'.repeat(64), build: (d) => rmBytes(join(d, 'big')) },
    ],
  }]);
}
makeRoot(join(work, 'plain', 'docker'));
makeRoot(join(work, b('caf\xe9'), 'docker'));

/** ovl-dedup with `args` in bash ($P the plain dir, $B the one named caf\xe9). */
function dedup(args: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', `P=${work}/plain; B=${work}/caf$'\\xe9'; exec "$BIN" ${args}`], {
    encoding: 'latin1',
    env: { ...process.env, LC_ALL: 'C', BIN: bin, CI: '' },
  });
  const text = (s: string) => decodeName(Buffer.from(s, 'latin1'));
  return { status: r.status, stdout: text(r.stdout), stderr: text(r.stderr) };
}

/**
 * The JSON report with the root's path taken out, to compare two roots. JSON writes a byte that
 * is not UTF-8 as its lone surrogate, \udce9 (what Python's json and os.fsencode read back).
 */
const report = (out: string, root: string) => JSON.parse(out.split(JSON.stringify(root).slice(1, -1)).join('ROOT'));

t.test('analyze reads the root as the same root under a plain name', async (t) => {
  const plain = dedup('analyze "$P"/docker --json -');
  const bytes = dedup('analyze "$B"/docker --json -');
  t.equal(bytes.status, 0, bytes.stderr);
  t.equal(JSON.parse(bytes.stdout).root, join(work, b('caf\xe9'), 'docker'), 'the root, byte for byte');
  t.same(report(bytes.stdout, join(work, b('caf\xe9'))), report(plain.stdout, join(work, 'plain')));
  t.equal(JSON.parse(bytes.stdout).waste.wastedBytes, 300_000);
});

t.test('convert, verified by mounting on the kernel and on ovl-fuse', async (t) => {
  for (const engine of ['kernel', 'fuse']) {
    const r = dedup(`convert "$B"/docker --out "$B"/out-${engine} --verify-with ${engine}`);
    t.equal(r.status, 0, `${engine}: ${r.stderr}`);
    t.match(r.stdout, /verify waste:1: identical/, engine);
  }
});

t.test('migrate --in-place writes overlay2 into that root', async (t) => {
  const r = dedup('migrate "$B"/docker --in-place');
  t.equal(r.status, 0, r.stderr);
  t.ok(existsSync(join(work, b('caf\xe9'), 'docker', 'overlay2')), 'overlay2/ made');
  t.ok(existsSync(join(work, b('caf\xe9'), 'docker', 'image', 'overlay2', 'repositories.json')), 'its image metadata too');
});

t.test('a missing root is one line naming its bytes, exit 2', async (t) => {
  const r = dedup('analyze "$B"/nope');
  t.equal(r.status, 2);
  t.equal(r.stderr, `ovl-dedup: ${work}/caf\\xe9/nope: no such directory\n`);
});
