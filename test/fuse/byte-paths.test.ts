// Layer paths and mount points that are not UTF-8, given on the command line as the kernel's
// overlay takes them (`mount -t overlay -o lowerdir=/srv/caf\xe9 …`). node decodes argv as UTF-8,
// so before 2026-12-07 ovl-fuse saw U+FFFD in place of each such byte and refused the mount ("no
// such directory"), naming a path with U+FFFD in it. Every command here runs in bash, whose
// $'\xe9' words are bytes, so neither the test nor node's spawn can lose one on the way in.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { decodeName, osPath } from '../../src/format/byte-names.js';
import { isMounted, umountSurely } from '../../src/sys/index.js';
import { ovlFuseBin } from '../helpers/fuse.js';

/** A path from its bytes, given as a latin1 string. */
const b = (latin1: string) => decodeName(Buffer.from(latin1, 'latin1'));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `script` in bash (C locale), with $BIN the ovl-fuse command and $B the dir `caf\xe9` in `root`. */
function bash(root: string, script: string): Run {
  const r = spawnSync('bash', ['-c', `set -eu -o pipefail; B=${root}/caf$'\\xe9'; ${script}`], {
    encoding: 'latin1',
    env: { ...process.env, LC_ALL: 'C', BIN: ovlFuseBin, OVL_FUSE_NODE: process.execPath },
  });
  // latin1 keeps each byte a char; the bytes read as UTF-8 where they are (messages are).
  const text = (s: string) => decodeName(Buffer.from(s, 'latin1'));
  return { status: r.status, stdout: text(r.stdout), stderr: text(r.stderr) };
}

/** Layers l1 (a file f, a dir d with x), l2 (f2), and per target an upper, workdir and mount point, all in `caf\xe9`. */
function setup(t: Test, targets: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'ovl-byte-paths-'));
  const dir = join(root, b('caf\xe9'));
  t.teardown(async () => {
    try {
      for (const m of targets) if (isMounted(join(dir, `m-${m}`))) await umountSurely(join(dir, `m-${m}`));
    } finally {
      // Whatever is still mounted there goes too, whatever failed above (a build that read the
      // mount table as UTF-8 finds no such mount): a mount point that is not UTF-8 left in the
      // table stops tap's TypeScript loader (swc reads it as UTF-8) for every later test file.
      bash(root, `for m in "$B"/m-*; do umount -l "$m" 2>/dev/null || true; done`);
      rmSync(root, { recursive: true, force: true });
    }
  });
  const made = bash(root, `mkdir -p "$B"/l1/d "$B"/l2 && echo one > "$B"/l1/f && echo x > "$B"/l1/d/x && echo two > "$B"/l2/f2 && ` +
    targets.map((m) => `mkdir "$B"/u-${m} "$B"/w-${m} "$B"/m-${m}`).join(' && '));
  t.equal(made.status, 0, made.stderr);
  return root;
}

/** The options naming `m`'s layers, for bash. */
const opts = (m: string, extra = '') => `-o lowerdir="$B"/l2:"$B"/l1,upperdir="$B"/u-${m},workdir="$B"/w-${m}${extra}`;

/** What the same steps leave through each mount, and in each upper (names as hex of their bytes). */
const STEPS = (m: string) =>
  `cd "$B"/m-${m} && echo more >> f && rm d/x && mkdir n && echo new > n/g && ls -A . d n | od -An -tx1 | tr -d ' \\n'; echo; cat f n/g; ` +
  `cd "$B"/u-${m} && find . | sort | od -An -tx1 | tr -d ' \\n'`;

t.test('a mount whose layers and mount point are not UTF-8 works as the kernel\'s, and `ovl-fuse umount` finds it', async (t) => {
  const root = setup(t, ['kernel', 'fuse']);
  const kernel = bash(root, `mount -t overlay overlay ${opts('kernel')} "$B"/m-kernel && ${STEPS('kernel')}`);
  t.equal(kernel.status, 0, kernel.stderr);
  // bin/ovl-fuse's sh part detaches and execs node: the daemon's argv holds the bytes.
  const fuse = bash(root, `"$BIN" ${opts('fuse')} "$B"/m-fuse && ${STEPS('fuse')}`);
  t.equal(fuse.status, 0, fuse.stderr);
  t.equal(fuse.stdout, kernel.stdout, 'the same listings, data and upper');
  t.match(kernel.stdout, /^one\nmore\nnew$/m, 'the steps ran');
  const gone = bash(root, `"$BIN" umount "$B"/m-fuse && grep -c "m-fuse" /proc/self/mountinfo`);
  t.equal(gone.stderr, '');
  t.equal(gone.stdout.trim(), '0', 'unmounted');
});

t.test('node detaching (`node bin/ovl-fuse`) hands the daemon the bytes, on either transport', async (t) => {
  const root = setup(t, ['dev', 'native']);
  for (const [m, transport] of [['dev', 'dev'], ['native', 'fuse-native']] as const) {
    // fuse-native cannot mount on such a path (below): its mount point is plain ASCII here.
    const mnt = m === 'native' ? join(root, 'mnt-native') : null;
    if (mnt !== null) execFileSync('mkdir', [mnt]);
    const target = mnt ?? `"$B"/m-${m}`;
    const r = bash(root, `"$OVL_FUSE_NODE" "$BIN" ${opts(m, `,transport=${transport}`)} ${target} && cat ${target}/f ${target}/f2 && echo more >> ${target}/f && cat "$B"/u-${m}/f`);
    t.teardown(async () => {
      if (mnt !== null && isMounted(mnt)) await umountSurely(mnt);
    });
    t.equal(r.status, 0, `${transport}: ${r.stderr}`);
    t.equal(r.stdout, 'one\ntwo\none\nmore\n', `${transport}: the lowers read, the copy-up in the upper`);
    if (mnt !== null) await umountSurely(mnt);
  }
});

t.test('bad paths are one line naming the bytes, exit 2, nothing made', async (t) => {
  const root = setup(t, ['x']);
  const missing = bash(root, `"$BIN" -o lowerdir="$B"/nope,upperdir="$B"/u-x,workdir="$B"/w-x "$B"/m-x`);
  t.equal(missing.status, 2);
  t.equal(missing.stderr, `ovl-fuse: lowerdir ${root}/caf\\xe9/nope: no such directory\n`);
  // fuse-native passes its mount point to libfuse as UTF-8: refused before the workdir is touched.
  const native = bash(root, `"$BIN" ${opts('x', ',transport=fuse-native')} "$B"/m-x`);
  t.equal(native.status, 2);
  t.equal(native.stderr, `ovl-fuse: mount point ${root}/caf\\xe9/m-x: not UTF-8, which transport=fuse-native cannot mount on (the default transport can)\n`);
  t.same(readdirSync(osPath(join(root, b('caf\xe9'), 'w-x'))), [], 'no work/ made');
  t.notOk(isMounted(join(root, b('caf\xe9'), 'm-x')));
});
