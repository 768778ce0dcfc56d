// POSIX ACLs through ovl-fuse next to kernel overlayfs, the same script on both: access granted or
// refused by a layer's ACL (not only by the mode bits), ACL inheritance of new files, dirs and
// fifos from a default ACL (in place, and over a whiteout, where the object is built in the work
// dir), the caller's umask ignored under a default ACL, setfacl/chmod interplay, the set-group-ID
// bit an ACL set clears for a caller outside the group, and a squashfs lower that keeps no ACLs
// (or xattrs) at all. What the user sees and what lands in the upper must be identical.
// Everything through a mount runs in a child killed after 20 s.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t, { type Test } from 'tap';
import { mountOverlay, umountSurely } from '../../src/sys/index.js';
import { fuseOptions, startFuse } from '../helpers/fuse.js';
import { type LayerDirs, kernelOptions, layerDirs } from '../helpers/layers.js';

async function sh(script: string, ...args: string[]): Promise<string> {
  const r = await execa('bash', ['-c', script, 'sh', ...args], { reject: false, timeout: 20_000, killSignal: 'SIGKILL', all: true });
  return r.timedOut ? `timed out: ${script}` : `${r.all}${r.exitCode !== 0 ? `\nexit ${r.exitCode}` : ''}`;
}

const HELPERS = `
nob() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@" 2>&1 | sed 's/^.*: //'; }
show() { for p in "$@"; do echo "$p $(stat -c '%A %U:%G' "$p") $(getfacl -cp "$p" 2>/dev/null | tr '\\n' ' ')"; done; }
`;

/** Lower $1 and upper $2: files and dirs with ACLs, default ACLs, names to be whited out. */
const LAYERS = `set -e
L=$1; U=$2
echo secret > $L/f; chmod 600 $L/f; setfacl -m u:nobody:r $L/f
mkdir $L/d; chmod 700 $L/d; setfacl -m u:nobody:rx $L/d; echo in > $L/d/x; chmod 644 $L/d/x
mkdir $L/ld; setfacl -d -m u:nobody:rwx $L/ld; echo wo > $L/ld/gone; echo wo > $L/ld/gone2; mkdir $L/ld/gonedir
echo wo > $L/ld/stays-gone; echo wo > $L/ld/cu-gone; echo wo > $L/ld/mv-gone
mkdir $L/mind; setfacl -d -m u::rwx,g::r-x,o::--- $L/mind; echo wo > $L/mind/gone
mkdir $U/ud; setfacl -d -m u:nobody:rwx,m::rwx $U/ud
echo s > $L/sg; chown nobody:root $L/sg; chmod 2775 $L/sg
echo s > $L/sg2; chown nobody:nogroup $L/sg2; chmod 2775 $L/sg2
echo s > $L/sg3; chown nobody:root $L/sg3; chmod 2775 $L/sg3; setfacl -m u:daemon:r $L/sg3
`;

/** Through the mount at $1: what users may do, what new objects inherit, ACL changes. */
const THROUGH = `${HELPERS}
cd "$1" || exit 1; umask 022
echo "nobody reads f: $(nob cat f)"
echo "nobody reads d/x: $(nob cat d/x)"
echo "nobody lists d: $(nob ls d)"
echo "nobody writes f: $(nob sh -c 'echo x >> f')"
touch ld/new; mkdir ld/newdir; mknod ld/fifo p
rm ld/gone ld/gone2; rmdir ld/gonedir; touch ld/gone; mkdir ld/gone2; mkdir ld/gonedir
(umask 077; touch ud/new077; mkdir ud/dir077)
touch ud/new; mkdir ud/newdir
rm mind/gone; touch mind/gone; touch mind/new
show f d ld/new ld/newdir ld/fifo ld/gone ld/gone2 ld/gonedir ud/new077 ud/dir077 ud/new ud/newdir mind/gone mind/new
setfacl -m u:daemon:rw f; chmod g-w f; show f
setfacl -b f; show f
setfacl -m u:nobody:rw f; echo "nobody writes f now: $(nob sh -c 'echo y >> f && echo ok')"
chmod 600 f; echo "after chmod 600: $(nob cat f)"; show f
echo "nobody creates in ld: $(nob touch ld/bynobody && echo ok)"
echo "nobody setfacl sg (not in its group): $(nob setfacl -m u:daemon:r sg && echo ok)"; show sg
echo "nobody setfacl sg2 (its group): $(setpriv --reuid=65534 --regid=65534 --groups 65534 setfacl -m u:daemon:r sg2 2>&1 && echo ok)"; show sg2
echo "nobody setfacl -b sg3 (not in its group): $(nob setfacl -b sg3 && echo ok)"; show sg3
rm ld/stays-gone; echo more >> ld/cu-gone; rm ld/cu-gone; mv ld/mv-gone ld/moved
`;

/** Through the mount, with a squashfs lower below: no ACLs or xattrs there at all. */
const NO_ACL_FS = `
echo "nobody reads g: $(nob cat g)"
echo "getfacl g: $(getfacl -cp g 2>&1 | tr '\\n' ' ')"
echo "setfacl g: $(setfacl -m u:daemon:r g 2>&1 && echo ok)"
echo "user xattr on g: $(setfattr -n user.k -v v g 2>&1 && getfattr --only-values -n user.k g 2>&1)"
echo "append to g: $(echo more >> g && cat g)"; show g
`;

/** Every object of the upper $1 with its mode, owner and ACLs. */
const UPPER = `cd "$1" || exit 1; for p in $(find . -mindepth 1 | sort); do echo "$p $(stat -c '%A %U:%G' "$p") $(getfacl -cp "$p" 2>/dev/null | tr '\\n' ' ')"; done`;

async function run(t: Test, kind: 'kernel' | 'fuse', extraLower?: (d: LayerDirs) => Promise<string>): Promise<{ through: string; upper: string }> {
  const d = layerDirs(t, 1, `ovlkit-acl-${kind}-`);
  chmodSync(d.root, 0o755);
  for (const dir of [d.lowers[0]!, d.upper]) chmodSync(dir, 0o755);
  t.equal(await sh(LAYERS, d.lowers[0]!, d.upper), '', 'layers made');
  const lowers = extraLower ? [d.lowers[0]!, await extraLower(d)] : d.lowers;
  if (kind === 'kernel') mountOverlay({ ...kernelOptions(d), lowerdirs: lowers }, d.merged);
  else await startFuse(t, fuseOptions({ ...d, lowers }), d.merged);
  const through = await sh(extraLower ? `${HELPERS} cd "$1" || exit 1; ${NO_ACL_FS}` : THROUGH, d.merged);
  await umountSurely(d.merged);
  return { through, upper: await sh(UPPER, d.upper) };
}

t.test('ACLs are enforced, inherited and changed as under the kernel overlay', async (t) => {
  const kernel = await run(t, 'kernel');
  t.match(kernel.through, /nobody reads f: secret/, 'the kernel lets the ACL grant access');
  t.match(kernel.through, /ld\/gone -rw-rw-r-- root:root user::rw- user:nobody:rwx/, 'and inherits over a whiteout');
  const fuse = await run(t, 'fuse');
  t.equal(fuse.through, kernel.through, 'through the mount');
  t.equal(fuse.upper, kernel.upper, 'in the upper');
});

t.test('a squashfs lower, which keeps no xattrs: read, copied up, ACL set refused, as the kernel', async (t) => {
  const squashfs = async (d: LayerDirs): Promise<string> => {
    const [src, img, at] = ['sqsrc', 'sq.img', 'sq'].map((n) => join(d.root, n)) as [string, string, string];
    const made = await sh('set -e; mkdir "$1" "$3"; echo x > "$1/g"; chmod 664 "$1/g"; chown 1:1 "$1/g"; chmod 755 "$1"; mksquashfs "$1" "$2" -quiet -no-progress -no-xattrs >/dev/null; mount -o loop,ro -t squashfs "$2" "$3"', src, img, at);
    t.equal(made, '', 'squashfs made and mounted');
    d.track(at);
    return at;
  };
  const kernel = await run(t, 'kernel', squashfs);
  t.match(kernel.through, /setfacl g: setfacl: g: Operation not supported/, 'the kernel refuses an ACL on a lower without ACLs');
  const fuse = await run(t, 'fuse', squashfs);
  t.equal(fuse.through, kernel.through, 'through the mount');
  t.equal(fuse.upper, kernel.upper, 'in the upper');
});
