// Writing to a program's file while it runs from the mount, next to kernel overlayfs: every name
// of a running upper file (its hard links too: the kernel's overlay keeps one inode for them) is
// ETXTBSY for a write open, an O_TRUNC open (also read-only, whose refusal comes after the open and
// must not have truncated) and truncate(2); a running lower program's read-only O_TRUNC open
// copies it up empty first, as the kernel's overlay does. The file keeps its data otherwise. And
// the reverse: a file open for writing by one name cannot be executed by another.
// Everything through a mount runs in a child killed after 20 s; the programs are killed by it.
import { copyFileSync, linkSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t, { type Test } from 'tap';
import { mountOverlay, umountSurely } from '../../src/sys/index.js';
import { fuseOptions, startFuse } from '../helpers/fuse.js';
import { kernelOptions, layerDirs } from '../helpers/layers.js';

const THROUGH = `cd "$1" || exit 1
./a 30 & A=$!; ./c 30 & C=$!; sleep 0.3
try() { python3 -c 'import os,sys
try: os.close(os.open(sys.argv[1], int(sys.argv[2]))); print("ok")
except OSError as e: print(e.strerror)' "$@"; }
echo "b O_RDONLY|O_TRUNC: $(try b $((0 | 01000)))"
echo "b O_WRONLY: $(try b 1)"
echo "b truncate: $(truncate -s 0 b 2>&1 | sed 's/^.*: //' || true)"
echo "a O_RDONLY|O_TRUNC: $(try a $((0 | 01000)))"
echo "c O_RDONLY|O_TRUNC: $(try c $((0 | 01000)))"
echo "d (not running) O_RDONLY|O_TRUNC: $(try d $((0 | 01000)))"
kill $A $C; wait 2>/dev/null
echo "e while f is open for writing: $(python3 -c 'import os,subprocess
fd = os.open("f", os.O_WRONLY)
try: print(subprocess.run(["./e", "0"]).returncode)
except OSError as e: print(e.strerror)')"
echo "e after f is closed: $(./e 0 && echo ran)"
stat -c '%n %s' a b c d e f
`;

async function sh(script: string, ...args: string[]): Promise<string> {
  const r = await execa('bash', ['-c', script, 'sh', ...args], { reject: false, timeout: 20_000, killSignal: 'SIGKILL', all: true });
  return r.timedOut ? `timed out: ${script}` : `${r.all}${r.exitCode !== 0 ? `\nexit ${r.exitCode}` : ''}`;
}

async function run(t: Test, kind: 'kernel' | 'fuse' | 'native'): Promise<{ through: string; upper: string }> {
  const d = layerDirs(t, 1, `ovlkit-exec-busy-${kind}-`);
  const [l] = d.lowers as [string];
  copyFileSync('/bin/sleep', join(d.upper, 'a'));
  linkSync(join(d.upper, 'a'), join(d.upper, 'b'));
  copyFileSync('/bin/sleep', join(l, 'c'));
  copyFileSync('/bin/sleep', join(l, 'd'));
  copyFileSync('/bin/sleep', join(d.upper, 'e'));
  linkSync(join(d.upper, 'e'), join(d.upper, 'f'));
  if (kind === 'kernel') mountOverlay(kernelOptions(d), d.merged);
  else await startFuse(t, fuseOptions(d, kind === 'native' ? 'transport=fuse-native' : ''), d.merged);
  const through = await sh(THROUGH, d.merged);
  await umountSurely(d.merged);
  return { through, upper: await sh('cd "$1" && stat -c "%n %s %h" * | sort', d.upper) };
}

t.test('a running program keeps its data under every name, as under the kernel overlay', async (t) => {
  const kernel = await run(t, 'kernel');
  t.match(kernel.through, /b O_RDONLY\|O_TRUNC: Text file busy/, 'the kernel refuses a hard link of a running program');
  const fuse = await run(t, 'fuse');
  t.equal(fuse.through, kernel.through, 'through the mount');
  t.equal(fuse.upper, kernel.upper, 'in the upper');
});

t.test('the previous transport (fuse-native) refuses writes to a running program by its other names', async (t) => {
  // libfuse 2.9 gives each name its own node, so only the daemon can see that b is a's file; the
  // kernel strips O_TRUNC from its OPEN (no atomic O_TRUNC) and truncates by SETATTR. Before the
  // daemon checked, b's O_RDONLY|O_TRUNC open truncated the running program (a and b 0 bytes).
  const kernel = await run(t, 'kernel');
  const native = await run(t, 'native');
  // A running lower program (c): the kernel's overlay copies it up empty before its ETXTBSY; through
  // libfuse 2.9 the kernel refuses the truncate before any request, so no copy is made (accepted by
  // the rule ovl-fuse-native-exec-trunc-copy-up).
  const notC = (s: string) => s.split('\n').filter((l) => !/^c /.test(l)).join('\n');
  t.equal(notC(native.through), notC(kernel.through), 'through the mount, but for c');
  t.equal(notC(native.upper), notC(kernel.upper), 'in the upper, but for c');
  t.match(native.through, /^b O_RDONLY\|O_TRUNC: Text file busy$/m);
  t.notMatch(native.upper, /^a 0 /m, 'the running program keeps its data');
});
