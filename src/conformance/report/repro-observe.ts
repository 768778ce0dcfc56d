// The repro script's python for the observing ops (exec-observe.ts): mmap through python's mmap
// module, held mappings through libc's mmap (python's refuses a length past EOF), O_DIRECT through an anonymous (page-aligned) mmap buffer, ctime around one change,
// d_ino from scandir, execve through subprocess with busybox's argv0. statx has no python call:
// the script prints the plain stat instead and says so.
import type { Op } from '../ops.js';

const py = (s: string) => JSON.stringify(s);

export const PY_OBSERVE_PRELUDE = `import mmap
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
`;

/** One observing op as a python expression, or undefined when `o` is not one of them. */
export function pyObserveOp(o: Op, m: (p: string) => string): string | undefined {
  switch (o.op) {
    case 'mmap':
      return `mm(${m(o.path)}, ${o.offset}, ${py(o.data)})`;
    case 'mapOpen':
      return `map_open(${o.map}, ${m(o.path)}, ${o.access === 'rw' ? 'True' : 'False'})`;
    case 'mapRead':
      return `map_read(${o.map})`;
    case 'mapWrite':
      return `map_write(${o.map}, ${o.offset}, ${py(o.data)})`;
    case 'unmap':
      return `unmap(${o.map})`;
    case 'direct':
      return `direct(${m(o.path)}, ${o.data === undefined ? 'None' : py(o.data)})`;
    case 'statx':
      return `st(os.lstat(${m(o.path)}))  # no statx in python: the plain stat`;
    case 'ctime':
      return `ctime(${m(o.path)}, ${py(o.via)})`;
    case 'dirents':
      return `dirents(${m(o.path)})`;
    case 'exec':
      return `run_exe(${m(o.path)})`;
    case 'spawn':
      return `spawn(${o.proc}, ${m(o.path)})`;
    case 'kill':
      return `kill(${o.proc})`;
    case 'rotate':
      return `None  # rotate(): not reproduced by this script (the layer list changes); see the scenario JSON`;
    default:
      return undefined;
  }
}
