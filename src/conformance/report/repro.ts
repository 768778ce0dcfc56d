// A standalone reproduction script for one divergence: builds the layers with coreutils, mknod
// and setfattr on a private tmpfs, mounts with plain `mount -t overlay` (or $MOUNT_CMD), runs the
// ops in one python3 process (exact syscalls and open flags, fds held across ops), prints each
// result next to what the kernel and the target returned, and lists the final tree.
import { ACL_ACCESS, ACL_DEFAULT, OverlayXattrs, OPAQUE_YES, aclFromText } from '../../format/index.js';
import { hasEscapedBytes, nameBytes } from '../../format/byte-names.js';
import { describeOp, type Op } from '../ops.js';
import { type Access, SETUP_TIME_SEC, type Scenario } from '../scenario.js';
import type { ScenarioResult } from '../session.js';
import type { ObsResult } from '../trace.js';
import { PY_OBSERVE_PRELUDE, pyObserveOp } from './repro-observe.js';

const ovl = new OverlayXattrs(false);
/** A shell word for `s`; a name that is not UTF-8 as bash's $'…' of its bytes (src/format/byte-names.ts). */
const sh = (s: string) => (hasEscapedBytes(s) ? bytesWord(nameBytes(s)) : `'${s.replace(/'/g, `'\\''`)}'`);
// Python's os functions encode a str path with surrogateescape, so py()'s "\udce9" is byte 0xE9 there.
const py = (s: string) => JSON.stringify(s);

function bytesWord(b: Buffer): string {
  let out = "$'";
  for (const x of b) out += x >= 0x20 && x < 0x7f && x !== 0x27 && x !== 0x5c ? String.fromCharCode(x) : `\\x${x.toString(16).padStart(2, '0')}`;
  return out + "'";
}

function layerCommands(dir: string, s: Scenario['upper']): string[] {
  const out: string[] = [];
  const entries = [...s.entries].sort((a, b) => a.path.split('/').length - b.path.split('/').length || (a.path < b.path ? -1 : 1));
  for (const e of [...entries.filter((x) => x.kind !== 'hardlink'), ...entries.filter((x) => x.kind === 'hardlink')]) {
    const p = sh(`${dir}/${e.path}`);
    switch (e.kind) {
      case 'file':
        out.push(`printf %s ${sh(e.content)} > ${p}${ownerCommand(e, p)} && chmod ${e.mode.toString(8)} ${p}`);
        out.push(...aclCommands(e, p));
        for (const [k, v] of Object.entries(e.xattrs ?? {})) out.push(`setfattr -h -n ${k} -v ${sh(v)} ${p}`);
        break;
      case 'dir':
        out.push(`mkdir ${p}${ownerCommand(e, p)} && chmod ${e.mode.toString(8)} ${p}`);
        out.push(...aclCommands(e, p));
        if (e.opaque) out.push(`setfattr -n ${ovl.name('opaque')} -v ${OPAQUE_YES} ${p}`);
        for (const [k, v] of Object.entries(e.xattrs ?? {})) out.push(`setfattr -h -n ${k} -v ${sh(v)} ${p}`);
        break;
      case 'symlink':
        out.push(`ln -s ${sh(e.target)} ${p}`);
        break;
      case 'hardlink':
        out.push(`[ -f ${sh(`${dir}/${e.to}`)} ] && ln ${sh(`${dir}/${e.to}`)} ${p}`);
        break;
      case 'fifo':
        out.push(`mkfifo -m ${e.mode.toString(8)} ${p}`);
        break;
      case 'chr':
        out.push(`mknod -m ${e.mode.toString(8)} ${p} c ${e.major} ${e.minor}`);
        break;
      case 'whiteout':
        out.push(`mknod -m 000 ${p} c 0 0`);
        break;
      case 'xwhiteout':
        out.push(`: > ${p} && setfattr -n ${ovl.name('whiteout')} ${p}`);
        break;
      case 'exe':
        out.push(`cp /bin/busybox ${p} && chmod 755 ${p}`);
        break;
    }
  }
  // Same fixed times as the suite, deepest first; errors (skipped entries) are ignored like the suite skips them.
  out.push(`find ${sh(dir)} -depth -exec touch -h -d @${SETUP_TIME_SEC} {} + 2>/dev/null`);
  return out.map((c) => c + ' 2>/dev/null');
}

/** ` && chown U:U p` for an entry owned by a user (before the chmod: a chown clears set-user-ID). */
const ownerCommand = (e: Access, p: string) => (e.owner === undefined ? '' : ` && chown ${e.owner}:${e.owner} ${p}`);

/** setfattr of an entry's ACLs, as the xattr values the suite sets (hex). */
function aclCommands(e: Access & { defaultAcl?: string }, p: string): string[] {
  const set = (name: string, text: string) => `setfattr -h -n ${name} -v 0x${aclFromText(text).toString('hex')} ${p}`;
  return [...(e.acl ? [set(ACL_ACCESS, e.acl)] : []), ...(e.defaultAcl ? [set(ACL_DEFAULT, e.defaultAcl)] : [])];
}

/** One op as a python expression, run as its user when it names one (as_user). */
function pyOp(o: Op): string {
  return o.as === undefined ? pyCall(o) : `as_user(${o.as}, lambda: ${pyCall(o)})`;
}

/** One op as a python expression over `M` (merged), `L` (layer dirs) and the `fds` table. */
function pyCall(o: Op): string {
  const m = (p: string) => `M+${py('/' + p)}`;
  switch (o.op) {
    case 'read':
      return `rd(${m(o.path)})`;
    case 'write':
      return `wr(${m(o.path)}, os.O_WRONLY, ${o.offset}, ${py(o.data)})`;
    case 'append':
      return `wr(${m(o.path)}, os.O_WRONLY|os.O_APPEND, None, ${py(o.data)})`;
    case 'create':
      return `wr(${m(o.path)}, os.O_WRONLY|os.O_CREAT|os.O_TRUNC${o.excl ? '|os.O_EXCL' : ''}, 0, ${py(o.data)}, 0o${o.mode.toString(8)})`;
    case 'open': {
      const f = [{ r: 'os.O_RDONLY', w: 'os.O_WRONLY', rw: 'os.O_RDWR' }[o.access]];
      for (const [k, v] of [['O_CREAT', o.creat], ['O_EXCL', o.excl], ['O_TRUNC', o.trunc], ['O_APPEND', o.append]] as const) if (v) f.push(`os.${k}`);
      return `hold(fds, ${o.fd ?? 'None'}, os.open(${m(o.path)}, ${f.join('|')}, 0o644))`;
    }
    case 'fdRead':
      return `content(os.pread(fds[${o.fd}], ${o.length}, ${o.offset}))`;
    case 'fdWrite':
      return `os.pwrite(fds[${o.fd}], ${py(o.data)}.encode(), ${o.offset})`;
    case 'fdStat':
      return `st(os.fstat(fds[${o.fd}]))`;
    case 'close':
      return `os.close(fds.pop(${o.fd}))`;
    case 'truncate':
      return `os.truncate(${m(o.path)}, ${o.size})`;
    case 'stat':
      return `st(os.stat(${m(o.path)}))`;
    case 'lstat':
      return `st(os.lstat(${m(o.path)}))`;
    case 'readdir':
      return `sorted(os.listdir(${m(o.path)}))`;
    case 'opendir':
      return `relist(hold(dirs, ${o.dir}, os.open(${m(o.path)}, os.O_RDONLY|os.O_DIRECTORY)))`;
    case 'relist':
      return `relist(dirs[${o.dir}])`;
    case 'closedir':
      return `os.close(dirs.pop(${o.dir}))`;
    case 'mkdir':
      return `os.mkdir(${m(o.path)}, 0o${o.mode.toString(8)})`;
    case 'rmdir':
      return `os.rmdir(${m(o.path)})`;
    case 'unlink':
      return `os.unlink(${m(o.path)})`;
    case 'rename':
      return `rename2(${m(o.from)}, ${m(o.to)}, ${o.flag === 'noreplace' ? 1 : o.flag === 'exchange' ? 2 : 0})`;
    case 'link':
      return `os.link(${m(o.from)}, ${m(o.to)})`;
    case 'symlink':
      return `os.symlink(${py(o.target)}, ${m(o.path)})`;
    case 'readlink':
      return `os.readlink(${m(o.path)})`;
    case 'chmod':
      return `os.chmod(${m(o.path)}, 0o${o.mode.toString(8)})`;
    case 'chown':
      return `os.lchown(${m(o.path)}, ${o.uid}, ${o.gid})`;
    case 'utimes':
      return `os.utime(${m(o.path)}, (${o.atime}, ${o.mtime}), follow_symlinks=False)`;
    case 'getxattr':
      return `os.getxattr(${m(o.path)}, ${py(o.name)}, follow_symlinks=False)`;
    case 'setxattr':
      return `os.setxattr(${m(o.path)}, ${py(o.name)}, ${py(o.value)}.encode(), ${o.mode === 'create' ? 'os.XATTR_CREATE' : o.mode === 'replace' ? 'os.XATTR_REPLACE' : 0}, follow_symlinks=False)`;
    case 'listxattr':
      return `sorted(os.listxattr(${m(o.path)}, follow_symlinks=False))`;
    case 'setacl':
      return `os.setxattr(${m(o.path)}, ${py(o.which === 'access' ? ACL_ACCESS : ACL_DEFAULT)}, bytes.fromhex(${py(aclFromText(o.acl).toString('hex'))}), 0, follow_symlinks=False)`;
    case 'getacl':
      return `acl_text(os.getxattr(${m(o.path)}, ${py(o.which === 'access' ? ACL_ACCESS : ACL_DEFAULT)}, follow_symlinks=False))`;
    case 'removexattr':
      return `os.removexattr(${m(o.path)}, ${py(o.name)}, follow_symlinks=False)`;
    case 'mknod':
      return o.type === 'fifo'
        ? `os.mknod(${m(o.path)}, stat.S_IFIFO|0o${o.mode.toString(8)})`
        : `os.mknod(${m(o.path)}, stat.S_IFCHR|0o${o.mode.toString(8)}, os.makedev(${o.major ?? 0}, ${o.minor ?? 0}))`;
    case 'statfs':
      return `(lambda v: {'namemax': v.f_namemax, 'fsidSet': v.f_fsid != 0})(os.statvfs(M))`;
    case 'dropCaches':
      return `(os.sync(), open('/proc/sys/vm/drop_caches', 'w').write('3'))`;
    case 'mutate':
      return `mutate(${o.layer}, ${py(o.action)}, ${py(o.path)}, ${py(o.to ?? o.path)}, ${py(o.data ?? '')}, ${o.mode ?? 0o600})`;
    case 'remount':
      return 'remount()';
    default:
      return pyObserveOp(o, m) ?? 'None';
  }
}

const PY_PRELUDE = `import ctypes, os, shutil, stat, subprocess, sys
M, L, U, MOUNT = sys.argv[1], sys.argv[2].split(':'), sys.argv[3], sys.argv[4]
fds, dirs = {}, {}
libc = ctypes.CDLL(None, use_errno=True)
def rename2(a, b, flags):
    if libc.renameat2(-100, os.fsencode(a), -100, os.fsencode(b), flags) != 0:
        e = ctypes.get_errno(); raise OSError(e, os.strerror(e))
def content(b): return {'size': len(b), 'text': b.decode('latin1')}
def rd(p):
    with open(p, 'rb') as f: return content(f.read())
def wr(p, flags, off, data, mode=0o644):
    fd = os.open(p, flags, mode)
    try: os.pwrite(fd, data.encode(), off) if off is not None else os.write(fd, data.encode())
    finally: os.close(fd)
def as_user(uid, f):
    g = os.getgroups(); os.setgroups([uid]); os.setegid(uid); os.seteuid(uid)
    try: return f()
    finally: os.seteuid(0); os.setegid(0); os.setgroups(g)
def acl_text(b):
    tags = {1: 'u', 2: 'u', 4: 'g', 8: 'g', 16: 'm', 32: 'o'}
    ents = [__import__('struct').unpack_from('<HHI', b, i) for i in range(4, len(b), 8)]
    perm = lambda p: ''.join(c if p & bit else '-' for c, bit in (('r', 4), ('w', 2), ('x', 1)))
    return 'acl:' + ','.join('%s:%s:%s' % (tags.get(t, '?'), n if t in (2, 8) else '', perm(p)) for t, p, n in ents)
def hold(table, n, fd):
    if n is None: os.close(fd); return None
    if n in table: os.close(table[n])
    table[n] = fd; return fd
def relist(fd):
    os.lseek(fd, 0, 0); return sorted(os.listdir(fd))
def st(s): return {'type': stat.filemode(s.st_mode), 'size': s.st_size, 'nlink': s.st_nlink, 'uid': s.st_uid, 'gid': s.st_gid, 'ino': s.st_ino, 'mtime': s.st_mtime}
def mutate(layer, action, path, to, data, mode):
    root = U if layer < 0 else L[layer]; p = root + '/' + path
    if action == 'write': wr(p, os.O_WRONLY, 0, data)
    elif action == 'replace':
        t = os.path.dirname(root) + '/.ovl-check-replace'; open(t, 'w').write(data); os.rename(t, p)
    elif action == 'delete':
        os.lstat(p); shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)
    elif action == 'add': wr(p, os.O_WRONLY|os.O_CREAT|os.O_EXCL, 0, data)
    elif action == 'mkdir': os.mkdir(p, 0o755)
    elif action == 'rename': os.rename(p, root + '/' + to)
    elif action == 'whiteout':
        if os.path.lexists(p): shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)
        os.mknod(p, stat.S_IFCHR, 0)
    elif action == 'opaque':
        os.path.exists(p) or os.mkdir(p, 0o755); os.setxattr(p, '${ovl.name('opaque')}', b'${OPAQUE_YES}')
    elif action == 'chmod': os.chmod(p, mode)
def remount():
    for n in list(maps): unmap(n)
    for t in (fds, dirs):
        for fd in t.values(): os.close(fd)
        t.clear()
    subprocess.run(['umount', M], check=True); subprocess.run(['sh', '-c', MOUNT], check=True)
def op(n, desc, f, kernel, target):
    try: r = f(); out = 'ok' if r is None else r
    except OSError as e: out = 'errno ' + __import__('errno').errorcode.get(e.errno, str(e.errno))
    print(f'{n}. {desc}\\n     here:   {out}\\n     kernel: {kernel}\\n     target: {target}')
`;

function show(r: ObsResult | undefined): string {
  if (!r) return '(not run)';
  if (!r.ok) return `errno ${r.errno}`;
  return r.value ? JSON.stringify(r.value) : 'ok';
}

export function renderRepro(r: ScenarioResult, meta: { id: string; suite: string; seed: number; target: string; parting?: number }): string {
  const s = r.scenario;
  // Lowers on a tmpfs of their own where the scenario had them there (Scenario.separateLowerFs).
  const lowers = s.lowers.map((_, i) => `${s.separateLowerFs ? 'lfs/' : ''}l${i + 1}`);
  const opts = s.options && Object.keys(s.options).length ? ',' + Object.entries(s.options).map(([k, v]) => (v === true ? k : `${k}=${v}`)).join(',') : '';
  const lines = [
    '#!/usr/bin/env bash',
    `# ovl-check reproduction ${meta.id}: suite ${meta.suite}, seed ${meta.seed}, target ${meta.target}.`,
    '# Needs root, attr (setfattr) and python3. Runs kernel overlayfs unless MOUNT_CMD is set, e.g.',
    "#   MOUNT_CMD='fuse-overlayfs -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir} {merged}' bash " + `repro-${meta.id}.sh`,
    '# Each op prints what it returned here, on the kernel and on the target when the suite ran it.',
    'set -u',
    // Names are bytes here: in a UTF-8 locale bash's read takes the newline after a byte such as \xe9 as part of a character.
    'export LC_ALL=C',
    `MOUNT_CMD=\${MOUNT_CMD:-'mount -t overlay overlay -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir}{options} {merged}'}`,
    // $TMPDIR as every other tool honours it (a review: the script made its dirs under /tmp
    // regardless); not where ops run as another user, who must search every dir above the run dir
    // (a private $TMPDIR is 0700): /tmp, which anyone may search.
    s.ops.some((o) => o.as !== undefined) ? 'R=$(mktemp -d /tmp/ovl-repro-XXXXXX) || exit 1 # ops run as another user: a dir anyone may search' : 'R=$(mktemp -d "${TMPDIR:-/tmp}/ovl-repro-XXXXXX") || exit 1',
    'mount -t tmpfs tmpfs "$R" || exit 1',
    `cleanup() { cd /; umount "$R/merged" 2>/dev/null;${s.separateLowerFs ? ' umount "$R/lfs" 2>/dev/null;' : ''} umount "$R" 2>/dev/null; rmdir "$R"; }`,
    // A signal (a pipe into head, ^C) ends the script through exit, so the EXIT trap still unmounts.
    'trap cleanup EXIT',
    "trap 'exit 129' HUP INT PIPE TERM",
    'cd "$R" || exit 1',
    ...(s.separateLowerFs ? ['mkdir lfs && mount -t tmpfs tmpfs lfs || exit 1'] : []),
    `mkdir ${[...lowers, 'upper', 'work', 'merged'].join(' ')}`,
    ...s.lowers.flatMap((l, i) => [`# ${lowers[i]}`, ...layerCommands(lowers[i]!, l)]),
    '# upper',
    ...layerCommands('upper', s.upper),
    `cmd=\${MOUNT_CMD//'{lowerdir}'/${lowers.join(':')}}; cmd=\${cmd//'{upperdir}'/upper}; cmd=\${cmd//'{workdir}'/work}`,
    `cmd=\${cmd//'{merged}'/merged}; cmd=\${cmd//'{options}'/${opts}}`,
    'sh -c "$cmd" || { echo "mount failed: $cmd"; exit 1; }',
    `python3 - "$R/merged" "${lowers.map((l) => `$R/${l}`).join(':')}" "$R/upper" "cd $R && $cmd" <<'PY'`,
    PY_PRELUDE.trimEnd(),
    PY_OBSERVE_PRELUDE.trimEnd(),
  ];
  s.ops.forEach((o, i) => {
    const mark = meta.parting === i ? '  # <-- the targets part here' : '';
    lines.push(`op(${i + 1}, ${py(describeOp(o))}, lambda: ${pyOp(o)}, ${py(show(r.reference?.ops[i]?.result))}, ${py(show(r.target.ops[i]?.result))})${mark}`);
  });
  // Inode numbers differ run to run: each is shown as the first path that had it (same = one inode).
  lines.push(
    'PY',
    'echo "== merged tree (ino: the first path with the same inode)"',
    'find merged -mindepth 1 | sort | while read -r p; do stat -c "%n %F %a %s %h %d:%i" "$p" 2>&1; done | awk \'NF>1 && $NF ~ /:/ { if (!($NF in first)) first[$NF] = $1; $NF = "ino=" first[$NF] } { print }\'',
  );
  // Listing order is compared too: each merged dir's names as getdents returns them.
  lines.push('echo "== listing order"', 'find merged -type d | sort | while read -r d; do echo "$d: $(ls -U -A "$d" | tr "\\n" " ")"; done');
  lines.push('echo "== upper on disk"', 'umount merged', 'find upper -mindepth 1 | sort | while read -r p; do stat -c "%n %F %a %s" "$p"; getfattr -h -d -m - "$p" 2>/dev/null | grep -v "^#" | grep . || true; done');
  return lines.join('\n') + '\n';
}
