import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { AT_FDCWD } from './libc.js';
import { heldDir, heldRest } from './held-path.js';
import * as fsb from './fs-bytes.js';
import { lstatReal, lstatRealOrNull } from './real-stat.js';
import { getXattr, hasXattr, listXattrs, removeXattr, setXattr } from './xattr.js';
import { mknod, rename2, setTimes } from './nodes.js';
import { openFile } from './fd.js';
import { fileHandle } from './handle.js';
import { errnoCodeOf } from '../errors.js';
import { guardedClone } from './mount-clone.js';

function split(path: string): [number, string] {
  const rest = heldRest(path);
  return [heldDir, rest];
}

t.test('heldRest splits /proc/self/fd/N/<rest> and nothing else', async (t) => {
  t.same(split('/proc/self/fd/12/a/b'), [12, 'a/b']);
  t.same(split('/proc/self/fd/7/.'), [7, '.']);
  t.same(split('/proc/self/fd/7/./x'), [7, './x']);
  t.same(split('/proc/self/fd/7/'), [7, '.'], 'a trailing slash asks for the dir');
  t.same(split('/proc/self/fd/7//a'), [7, 'a'], 'never an absolute rest, which would leave the dirfd behind');
  t.same(split('/proc/self/fd/7'), [AT_FDCWD, '/proc/self/fd/7'], 'the bare magic link is not a walk below a dir');
  t.same(split('/proc/self/fd/x/a'), [AT_FDCWD, '/proc/self/fd/x/a']);
  t.same(split('/proc/self/fdinfo/7/a'), [AT_FDCWD, '/proc/self/fdinfo/7/a']);
  t.same(split('/proc/self/fd/'), [AT_FDCWD, '/proc/self/fd/']);
  t.same(split('/tmp/a'), [AT_FDCWD, '/tmp/a']);
  t.same(split('a/b'), [AT_FDCWD, 'a/b']);
});

/**
 * Every wrapper given a held path must do what it does given the plain one: run the same script
 * of calls in two sibling dirs, one reached by its path and one through an fd on it, and compare
 * what each leaves and answers.
 */
t.test('the wrappers do through a held dir fd what they do by path', async (t) => {
  const root = fs.mkdtempSync(join(tmpdir(), 'ovlkit-held-'));
  t.teardown(() => void execFileSync('rm', ['-rf', root]));
  const fds: number[] = [];
  t.teardown(() => fds.forEach((fd) => fs.closeSync(fd)));

  function script(base: string): string[] {
    const out: string[] = [];
    const p = (n: string): string => `${base}/${n}`;
    const tryIt = (what: string, f: () => unknown): void => {
      try {
        const r = f();
        out.push(`${what}: ${r instanceof Buffer ? r.toString() : typeof r === 'number' ? 'ok' : String(r)}`);
      } catch (err) {
        out.push(`${what}: ${errnoCodeOf(err)}`);
      }
    };
    tryIt('mkdir', () => fsb.mkdirSync(p('d'), 0o750));
    tryIt('mkdir again', () => fsb.mkdirSync(p('d')));
    tryIt('mkdir opts', () => fsb.mkdirSync(p('d/e'), { mode: '700' as unknown as number }));
    tryIt('open create', () => fs.closeSync(fsb.openSync(p('d/f'), fs.constants.O_CREAT | fs.constants.O_WRONLY, 0o640)));
    tryIt('open missing', () => fsb.openSync(p('nope/f'), fs.constants.O_RDONLY));
    tryIt('openFile', () => fs.closeSync(openFile(p('d/f'), fs.constants.O_RDONLY)));
    tryIt('symlink', () => fsb.symlinkSync('d/f', p('s')));
    tryIt('symlink bytes', () => fsb.symlinkSync(Buffer.from('x\xffy', 'latin1'), p('s2')));
    tryIt('readlink', () => fsb.readlinkSync(p('s')));
    tryIt('readlink bytes', () => fsb.readlinkSync(p('s2'), { encoding: 'buffer' }).toString('hex'));
    tryIt('readlink not a link', () => fsb.readlinkSync(p('d')));
    tryIt('link', () => fsb.linkSync(p('d/f'), p('h')));
    tryIt('link over', () => fsb.linkSync(p('d/f'), p('h')));
    tryIt('rename', () => fsb.renameSync(p('h'), p('h2')));
    tryIt('rename2 noreplace', () => rename2(p('h2'), p('s'), ['noreplace']));
    tryIt('rename2 exchange', () => rename2(p('h2'), p('s'), ['exchange']));
    tryIt('chmod', () => fsb.chmodSync(p('d/f'), 0o604));
    tryIt('lchown', () => fsb.lchownSync(p('h2'), 7, 8));
    tryIt('chown', () => fsb.chownSync(p('s'), 9, 10));
    tryIt('mknod fifo', () => mknod(p('fifo'), fs.constants.S_IFIFO | 0o600));
    tryIt('utimes', () => setTimes(p('d/f'), { sec: 5, nsec: 6 }, { sec: 7, nsec: 8 }));
    tryIt('utimes link', () => setTimes(p('h2'), { sec: 1, nsec: 2 }, { sec: 3, nsec: 4 }));
    tryIt('setxattr', () => setXattr(p('d/f'), 'user.a', Buffer.from('va')));
    tryIt('setxattr create', () => setXattr(p('d/f'), 'user.a', 'vb', 'create'));
    tryIt('getxattr', () => getXattr(p('d/f'), 'user.a'));
    tryIt('getxattr unset', () => getXattr(p('d/f'), 'user.b'));
    tryIt('getxattr big', () => (setXattr(p('d'), 'user.big', Buffer.alloc(3000, 0x61)), getXattr(p('d'), 'user.big')!.length));
    tryIt('hasxattr', () => hasXattr(p('d/f'), 'user.a'));
    tryIt('listxattr', () => listXattrs(p('d/f')).join(','));
    tryIt('listxattr dir itself', () => listXattrs(`${base}/`).join(','));
    tryIt('removexattr', () => removeXattr(p('d/f'), 'user.a'));
    tryIt('removexattr unset', () => removeXattr(p('d/f'), 'user.a'));
    tryIt('lstat link', () => lstatReal(p('s')).mode.toString(8));
    tryIt('lstat missing', () => lstatRealOrNull(p('d/zz')));
    tryIt('lstat below a file', () => lstatReal(p('d/f/x')));
    tryIt('handle', () => fileHandle(p('d/f')).bytes.length);
    tryIt('unlink', () => fsb.unlinkSync(p('h2')));
    tryIt('unlink dir', () => fsb.unlinkSync(p('d/e')));
    tryIt('rmdir', () => fsb.rmdirSync(p('d/e')));
    tryIt('rmdir full', () => fsb.rmdirSync(p('d')));
    return out;
  }

  function tree(dir: string): string {
    // Times only of what the script set them on: the rest were made at different moments.
    return execFileSync('sh', ['-c', `cd "${dir}" && find . -printf '%p %y %m %U:%G %s %l\\n' | sort && find . -type f -printf '%p %A@ %T@\\n' | sort`], { encoding: 'utf8' });
  }

  fs.mkdirSync(join(root, 'plain'));
  fs.mkdirSync(join(root, 'held'));
  const fd = fs.openSync(join(root, 'held'), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  fds.push(fd);
  const plain = script(join(root, 'plain'));
  const held = script(`/proc/self/fd/${fd}/.`);
  t.same(held, plain, 'the same answers and errors');
  t.match(plain, ['mkdir: undefined', 'mkdir again: EEXIST'], 'the script ran');
  t.equal(tree(join(root, 'held')), tree(join(root, 'plain')), 'the same tree left');
  // Names in two held dirs, and one held, one not.
  const fd2 = fs.openSync(join(root, 'plain'), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  fds.push(fd2);
  fsb.renameSync(`/proc/self/fd/${fd}/s`, `/proc/self/fd/${fd2}/moved`);
  fsb.linkSync(`/proc/self/fd/${fd2}/moved`, join(root, 'held', 'back'));
  t.ok(fs.lstatSync(join(root, 'plain', 'moved')).isFile() && fs.lstatSync(join(root, 'held', 'back')).isFile());
});

const cloneSkip = process.getuid?.() === 0 ? false : 'mount clones need CAP_SYS_ADMIN';

t.test('a clone without symlink following stays so through the *at calls', { skip: cloneSkip }, async (t) => {
  const root = fs.mkdtempSync(join(tmpdir(), 'ovlkit-held-'));
  t.teardown(() => void execFileSync('rm', ['-rf', root]));
  fs.mkdirSync(join(root, 'layer/real'), { recursive: true });
  fs.mkdirSync(join(root, 'outside'));
  fs.writeFileSync(join(root, 'outside/secret'), 'x');
  fs.symlinkSync(join(root, 'outside'), join(root, 'layer/link'));
  const made = guardedClone(join(root, 'layer'), true);
  if (made === null) throw new Error('the kernel refused a mount clone to root');
  t.teardown(() => fs.closeSync(made.fd));
  const via = `/proc/self/fd/${made.fd}/.`;
  t.equal(lstatReal(`${via}/real`).mode & fs.constants.S_IFMT, fs.constants.S_IFDIR);
  for (const [what, f] of [
    ['lstat', () => lstatReal(`${via}/link/secret`)],
    ['open', () => fsb.openSync(`${via}/link/secret`, fs.constants.O_RDONLY)],
    ['listxattr', () => listXattrs(`${via}/link/secret`)],
    ['mkdir', () => fsb.mkdirSync(`${via}/link/new`)],
    ['unlink', () => fsb.unlinkSync(`${via}/link/secret`)],
  ] as const) {
    t.throws(f, { code: 'ELOOP' }, `${what} through the symlink is ELOOP`);
  }
  t.ok(fs.existsSync(join(root, 'outside/secret')));
});
