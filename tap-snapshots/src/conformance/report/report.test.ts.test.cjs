/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`src/conformance/report/report.test.ts > TAP > junit.xml > must match snapshot 1`] = `
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="ovl-check exec:swap {lowerdir} {merged}" tests="5" failures="1" time="1.800">
  <testsuite name="basic" tests="3" failures="1" errors="0" time="1.500">
    <properties><property name="seed" value="42"/><property name="target" value="exec:swap {lowerdir} {merged}"/></properties>
    <testcase classname="ovl-check.basic" name="basic #1" time="0.012">
    </testcase>
    <testcase classname="ovl-check.basic" name="basic #2" time="0.012">
      <system-out>accepted (dir-nlink): merged .: stat.nlink: reference 1, target 2</system-out>
    </testcase>
    <testcase classname="ovl-check.basic" name="basic #3" time="0.012">
      <failure message="op 1 read(&quot;a&quot;): content: reference {&quot;size&quot;:1,&quot;sha&quot;:&quot;A&quot;,&quot;text&quot;:&quot;A&quot;}, target {&quot;size&quot;:1,&quot;sha&quot;:&quot;B&quot;,&quot;text&quot;:&quot;B&quot;}" type="divergence">op 1 read(&quot;a&quot;): content: reference {&quot;size&quot;:1,&quot;sha&quot;:&quot;A&quot;,&quot;text&quot;:&quot;A&quot;}, target {&quot;size&quot;:1,&quot;sha&quot;:&quot;B&quot;,&quot;text&quot;:&quot;B&quot;}
merged a: content: reference {&quot;size&quot;:1,&quot;sha&quot;:&quot;A&quot;,&quot;text&quot;:&quot;A&quot;}, target {&quot;size&quot;:1,&quot;sha&quot;:&quot;B&quot;,&quot;text&quot;:&quot;B&quot;}
minimal: divergence-basic-run3.json
replay: npx ovl-check run --target &apos;exec:swap {lowerdir} {merged}&apos; --replay /reports/x/divergence-basic-run3.json</failure>
    </testcase>
  </testsuite>
  <testsuite name="rename" tests="1" failures="0" errors="0" time="0.300">
    <properties><property name="seed" value="42"/><property name="target" value="exec:swap {lowerdir} {merged}"/></properties>
    <testcase classname="ovl-check.rename" name="rename #1" time="0.012">
    </testcase>
  </testsuite>
  <testsuite name="lower-mutation" tests="1" failures="0" errors="0" time="0.100">
    <properties><property name="seed" value="42"/><property name="target" value="exec:swap {lowerdir} {merged}"/></properties>
    <testcase classname="ovl-check.lower-mutation" name="lower-mutation #1" time="0.012">
      <system-out>accepted (dir-nlink, target fresher than the kernel): op 2 read(&quot;a&quot;): content: reference &quot;old&quot;, target &quot;new&quot;</system-out>
    </testcase>
  </testsuite>
</testsuites>

`

exports[`src/conformance/report/report.test.ts > TAP > report.md > must match snapshot 1`] = `
# ovl-check: \`exec:swap {lowerdir} {merged}\` vs kernel

Started 2026-11-26T21:00:00.000Z, 1.8 s, seed 42. Command: \`ovl-check run --target 'exec:swap {lowerdir} {merged}' --seed 42\`

| suite | scenarios | pass | accepted | unexpected | recorded | seconds |
|---|---:|---:|---:|---:|---:|---:|
| basic | 3 | 1 | 1 | 1 | 0 | 1.5 |
| rename | 1 | 1 | 0 | 0 | 0 | 0.3 |
| lower-mutation | 1 | 0 | 1 | 0 | 0 | 0.1 |
| **total** | 5 | 2 | 2 | 1 | 0 | 1.8 |

**2 of 5 scenarios (40%) identical to the kernel**; 2 (40%) differ only as accepted rules say; 1 unexpected.

## Accepted, by rule

Each accepted difference names its rule in suites/divergences.json; derived ones follow from an accepted op difference on the same names.

| rule | scenarios | differences | derived |
|---|---:|---:|---:|
| dir-nlink | 2 | 2 | 0 |

Stale rules (apply to this target, matched nothing in this run): \`never-used\`

## Layers changed while mounted

Each difference after a layer changed under the mount, judged by a mount made right after the change: is the target fresher than, staler than, or unlike the kernel? (Identical observations are as fresh as the kernel and not listed.)

| suite | scenarios | target fresher | target staler | unlike both |
|---|---:|---:|---:|---:|
| lower-mutation | 1 | 1 | 0 | 0 |

### lower-mutation #1

| where | field | kernel | target | target is |
|---|---|---|---|---|
| op 2 | content | \`"old"\` | \`"new"\` | fresher than the kernel |

## Differences by category

Accepted ones name their rule in suites/divergences.json; unexpected ones are \`where:field\`.

| suite | category | accepted | scenarios | differences |
|---|---|---|---:|---:|
| basic | dir-nlink | yes | 1 | 1 |
| basic | op:content | **no** | 1 | 1 |
| basic | merged:content | **no** | 1 | 1 |
| lower-mutation | dir-nlink | yes | 1 | 1 |

## Unexpected divergences

### basic-run3

Suite \`basic\`, run 3: shrunk in 7 step(s) to 1 op(s).

Minimal scenario:

\`\`\`
l1: a="A" 644
l2: a="B" 644
upper: (empty)
1. read("a")
\`\`\`

The targets part at op 1: \`read("a")\`

| row. where | field | kernel | target | accepted |
|---|---|---|---|---|
| 1. op 1 | content | \`{"size":1,"sha":"A","text":"A"}\` | \`{"size":1,"sha":"B","text":"B"}\` |  |
| 2. merged \`a\` | content | \`{"size":1,"sha":"A","text":"A"}\` | \`{"size":1,"sha":"B","text":"B"}\` |  |

Replay:

\`\`\`sh
npx ovl-check run --target 'exec:swap {lowerdir} {merged}' --replay /reports/x/divergence-basic-run3.json
bash repro-basic-run3.sh    # standalone, kernel; MOUNT_CMD='…' for another target
\`\`\`

`

exports[`src/conformance/report/report.test.ts > TAP > repro script > must match snapshot 1`] = `
#!/usr/bin/env bash
# ovl-check reproduction basic-run3: suite basic, seed 42, target exec:swap {lowerdir} {merged}.
# Needs root, attr (setfattr) and python3. Runs kernel overlayfs unless MOUNT_CMD is set, e.g.
#   MOUNT_CMD='fuse-overlayfs -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir} {merged}' bash repro-basic-run3.sh
# Each op prints what it returned here, on the kernel and on the target when the suite ran it.
set -u
export LC_ALL=C
MOUNT_CMD=\${MOUNT_CMD:-'mount -t overlay overlay -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir}{options} {merged}'}
R=$(mktemp -d "\${TMPDIR:-/tmp}/ovl-repro-XXXXXX") || exit 1
mount -t tmpfs tmpfs "$R" || exit 1
cleanup() { cd /; umount "$R/merged" 2>/dev/null; umount "$R" 2>/dev/null; rmdir "$R"; }
trap cleanup EXIT
trap 'exit 129' HUP INT PIPE TERM
cd "$R" || exit 1
mkdir l1 l2 upper work merged
# l1
printf %s 'A' > 'l1/a' && chmod 644 'l1/a' 2>/dev/null
find 'l1' -depth -exec touch -h -d @1000000000 {} + 2>/dev/null 2>/dev/null
# l2
printf %s 'B' > 'l2/a' && chmod 644 'l2/a' 2>/dev/null
find 'l2' -depth -exec touch -h -d @1000000000 {} + 2>/dev/null 2>/dev/null
# upper
find 'upper' -depth -exec touch -h -d @1000000000 {} + 2>/dev/null 2>/dev/null
cmd=\${MOUNT_CMD//'{lowerdir}'/l1:l2}; cmd=\${cmd//'{upperdir}'/upper}; cmd=\${cmd//'{workdir}'/work}
cmd=\${cmd//'{merged}'/merged}; cmd=\${cmd//'{options}'/}
sh -c "$cmd" || { echo "mount failed: $cmd"; exit 1; }
python3 - "$R/merged" "$R/l1:$R/l2" "$R/upper" "cd $R && $cmd" <<'PY'
import ctypes, os, shutil, stat, subprocess, sys
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
        os.path.exists(p) or os.mkdir(p, 0o755); os.setxattr(p, 'trusted.overlay.opaque', b'y')
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
import mmap
procs = {}
def mm(p, off, data):
    fd = os.open(p, os.O_RDWR)
    try:
        size = os.fstat(fd).st_size; m = mmap.mmap(fd, size, mmap.MAP_SHARED)
        before = content(m[:]); b = data.encode()[:max(0, size - off)]; m[off:off + len(b)] = b; m.flush(); m.close(); return before
    finally: os.close(fd)
libc.mmap.restype = ctypes.c_void_p; libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
maps = {}
def map_open(n, p, rw):
    if n in maps: unmap(n)
    fd = os.open(p, os.O_RDWR if rw else os.O_RDONLY); a = libc.mmap(None, 4096, 3 if rw else 1, 1, fd, 0)
    if a is None or a == ctypes.c_void_p(-1).value: e = ctypes.get_errno(); os.close(fd); raise OSError(e, os.strerror(e))
    maps[n] = (fd, a, rw)
def held(n):
    if n not in maps: raise OSError(9, 'no such mapping')
    fd, a, rw = maps[n]; return fd, a, rw, min(os.fstat(fd).st_size, 4096)
def map_read(n): fd, a, rw, size = held(n); return content(ctypes.string_at(a, size))
def map_write(n, off, data):
    fd, a, rw, size = held(n)
    if not rw: raise OSError(13, 'read-only mapping')
    b = data.encode()[:max(0, size - off)]; ctypes.memmove(a + min(off, size), b, len(b))
def unmap(n):
    held(n); fd, a, rw = maps.pop(n)
    if rw: libc.msync(ctypes.c_void_p(a), 4096, 4)
    libc.munmap(ctypes.c_void_p(a), 4096); os.close(fd)
def direct(p, data):
    fd = os.open(p, (os.O_RDONLY if data is None else os.O_RDWR) | os.O_DIRECT); buf = mmap.mmap(-1, 4096)
    try:
        if data is not None: buf[:] = ((data or '\\n') * 4096)[:4096].encode(); os.pwritev(fd, [buf], 0); buf.seek(0)
        n = os.preadv(fd, [buf], 0); return content(buf[:n])
    finally: os.close(fd)
def ctime(p, via):
    a = os.lstat(p)
    if via == 'chown': os.lchown(p, -1, -1)
    elif via == 'chmod': os.chmod(p, stat.S_IMODE(a.st_mode))
    elif via == 'xattr': os.setxattr(p, 'user.c', b'x', follow_symlinks=False)
    else: open(p, 'rb').read()
    b = os.lstat(p); rel = lambda x, y: 'later' if y > x else 'same' if y == x else 'earlier'
    return {'ctime': rel(a.st_ctime_ns, b.st_ctime_ns), 'mtime': rel(a.st_mtime_ns, b.st_mtime_ns)}
def dirents(p):
    return {e.name: ('' if e.inode() == os.lstat(e.path).st_ino else 'd_ino!=st_ino') for e in os.scandir(p)}
def run_exe(p):
    r = subprocess.run(['echo', 'ok'], executable=p, capture_output=True); return 'status %d: %s' % (r.returncode, r.stdout.decode())
def spawn(n, p):
    procs[n] = subprocess.Popen(['sleep', '60'], executable=p)
def kill(n):
    procs[n].kill(); procs.pop(n).wait()
op(1, "read(\\"a\\")", lambda: rd(M+"/a"), "{\\"content\\":{\\"size\\":1,\\"sha\\":\\"A\\",\\"text\\":\\"A\\"}}", "{\\"content\\":{\\"size\\":1,\\"sha\\":\\"B\\",\\"text\\":\\"B\\"}}")  # <-- the targets part here
PY
echo "== merged tree (ino: the first path with the same inode)"
find merged -mindepth 1 | sort | while read -r p; do stat -c "%n %F %a %s %h %d:%i" "$p" 2>&1; done | awk 'NF>1 && $NF ~ /:/ { if (!($NF in first)) first[$NF] = $1; $NF = "ino=" first[$NF] } { print }'
echo "== listing order"
find merged -type d | sort | while read -r d; do echo "$d: $(ls -U -A "$d" | tr "\\n" " ")"; done
echo "== upper on disk"
umount merged
find upper -mindepth 1 | sort | while read -r p; do stat -c "%n %F %a %s" "$p"; getfattr -h -d -m - "$p" 2>/dev/null | grep -v "^#" | grep . || true; done

`

exports[`src/conformance/report/report.test.ts > TAP > summary.json > must match snapshot 1`] = `
Object {
  "categories": Array [
    Object {
      "accepted": true,
      "category": "dir-nlink",
      "count": 1,
      "scenarios": 1,
      "suite": "basic",
    },
    Object {
      "accepted": false,
      "category": "op:content",
      "count": 1,
      "scenarios": 1,
      "suite": "basic",
    },
    Object {
      "accepted": false,
      "category": "merged:content",
      "count": 1,
      "scenarios": 1,
      "suite": "basic",
    },
    Object {
      "accepted": true,
      "category": "dir-nlink",
      "count": 1,
      "scenarios": 1,
      "suite": "lower-mutation",
    },
  ],
  "command": "ovl-check run --target 'exec:swap {lowerdir} {merged}' --seed 42",
  "exitCode": 1,
  "layerChanges": Array [
    Object {
      "fresher": 1,
      "scenarios": 1,
      "staler": 0,
      "suite": "lower-mutation",
      "unlike": 0,
    },
  ],
  "ms": 1800,
  "reference": "kernel",
  "rules": Array [
    Object {
      "derived": 0,
      "differences": 2,
      "id": "dir-nlink",
      "scenarios": 2,
    },
  ],
  "seed": 42,
  "staleRules": Array [
    "never-used",
  ],
  "startedAt": "2026-11-26T21:00:00.000Z",
  "suites": Array [
    Object {
      "accepted": 1,
      "diverged": 1,
      "ms": 1500,
      "pass": 1,
      "recorded": 0,
      "scenarios": 3,
      "seed": 42,
      "suite": "basic",
    },
    Object {
      "accepted": 0,
      "diverged": 0,
      "ms": 300,
      "pass": 1,
      "recorded": 0,
      "scenarios": 1,
      "seed": 42,
      "suite": "rename",
    },
    Object {
      "accepted": 1,
      "diverged": 0,
      "ms": 100,
      "pass": 0,
      "recorded": 0,
      "scenarios": 1,
      "seed": 42,
      "suite": "lower-mutation",
    },
  ],
  "target": "exec:swap {lowerdir} {merged}",
  "tool": "ovl-check",
  "totals": Object {
    "accepted": 2,
    "diverged": 1,
    "ms": 1800,
    "pass": 2,
    "recorded": 0,
    "scenarios": 5,
  },
  "unexpected": Array [
    Object {
      "alsoIn": Array [],
      "category": null,
      "differences": 2,
      "fcPath": "2:0:0",
      "id": "basic-run3",
      "json": "divergence-basic-run3.json",
      "ops": 1,
      "partingOp": 0,
      "replay": "npx ovl-check run --target 'exec:swap {lowerdir} {merged}' --replay /reports/x/divergence-basic-run3.json",
      "repro": "repro-basic-run3.sh",
      "run": 3,
      "shrinks": 7,
      "shrunk": true,
      "suite": "basic",
    },
  ],
}
`

exports[`src/conformance/report/report.test.ts > TAP > terminal table > must match snapshot 1`] = `
┌────────────────┬───────────┬──────┬──────────┬────────────┬─────────┐
│ suite          │ scenarios │ pass │ accepted │ unexpected │ seconds │
├────────────────┼───────────┼──────┼──────────┼────────────┼─────────┤
│ basic          │         3 │    1 │        1 │          1 │     1.5 │
├────────────────┼───────────┼──────┼──────────┼────────────┼─────────┤
│ rename         │         1 │    1 │        0 │          0 │     0.3 │
├────────────────┼───────────┼──────┼──────────┼────────────┼─────────┤
│ lower-mutation │         1 │    0 │        1 │          0 │     0.1 │
├────────────────┼───────────┼──────┼──────────┼────────────┼─────────┤
│ total          │         5 │    2 │        2 │          1 │     1.8 │
└────────────────┴───────────┴──────┴──────────┴────────────┴─────────┘
`
