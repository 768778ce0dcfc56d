// The refusals of `migrate`, checked before anything is written: a data root in use (a live dockerd
// naming it, a live unix socket or a mount below it), a root without a legacy store, a store with
// missing layers, a target without room for the new inodes and bytes. Each is one UsageError line
// naming the path and the reason (exit 2). Reads /proc only.
import { existsSync, readFileSync, readdirSync, readlinkSync, realpathSync, statfsSync } from '../sys/fs-bytes.js';
import { splitCmdline } from '../sys/raw-args.js';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { listMounts } from '../sys/index.js';
import { isInside } from './output-path.js';
import { siSize as size } from './units.js';
import type { Warning } from './types.js';

const DEFAULT_ROOT = '/var/lib/docker';
const DEFAULT_PIDFILE = '/var/run/docker.pid';
const DEFAULT_CONFIG = '/etc/docker/daemon.json';

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * The value of `--name X`, `--name=X` (or one of its aliases) in an argv; the last one when given
 * twice, as dockerd's flag parser (pflag: a string flag's Set overwrites) keeps it.
 */
export function optionValue(argv: readonly string[], names: readonly string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    for (const n of names) {
      if (a === n && i + 1 < argv.length) value = argv[i + 1];
      else if (a.startsWith(`${n}=`)) value = a.slice(n.length + 1);
    }
  }
  return value;
}

/**
 * The data root a dockerd argv uses: --data-root/-g/--graph, else daemon.json's data-root, else the
 * default. Relative paths (the flags, --config-file, data-root inside it) are dockerd's own: they
 * resolve against its working directory `cwd`, not ours.
 */
export function dataRootOf(argv: readonly string[], cwd = process.cwd()): string {
  const flag = optionValue(argv, ['--data-root', '--graph', '-g']);
  if (flag !== undefined) return resolve(cwd, flag);
  try {
    const cfg = JSON.parse(readFileSync(resolve(cwd, optionValue(argv, ['--config-file']) ?? DEFAULT_CONFIG), 'utf8')) as { 'data-root'?: unknown };
    if (typeof cfg['data-root'] === 'string') return resolve(cwd, cfg['data-root']);
  } catch {
    // no or unreadable daemon.json: dockerd uses its default too
  }
  return DEFAULT_ROOT;
}

/** A process's working directory; ours when it cannot be read (it exited meanwhile). */
function cwdOf(pid: number | string): string {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return process.cwd();
  }
}

interface Dockerd {
  pid: number;
  argv: string[];
  cwd: string;
}

/** Live dockerd processes (pid, argv), from /proc. */
function liveDockerds(): Dockerd[] {
  const out: Dockerd[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = splitCmdline(readFileSync(`/proc/${name}/cmdline`)).filter((a) => a !== '');
    } catch {
      continue; // exited meanwhile
    }
    const exe = argv[0]?.slice(argv[0].lastIndexOf('/') + 1);
    if (exe === 'dockerd' || (exe === 'docker' && argv[1] === 'daemon')) out.push({ pid: Number(name), argv, cwd: cwdOf(name) });
  }
  return out;
}

function pidAlive(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/** A live pid named by a pid file: the default one, or any dockerd's --pidfile. */
function pidFileUser(root: string, dockerds: readonly Dockerd[]): string | null {
  const named = dockerds.map((d) => [d, optionValue(d.argv, ['--pidfile', '-p'])] as const);
  const files = new Set([DEFAULT_PIDFILE, ...named.flatMap(([d, p]) => (p === undefined ? [] : [resolve(d.cwd, p)]))]);
  for (const file of files) {
    let pid: number;
    try {
      pid = Number(readFileSync(file, 'utf8').trim());
    } catch {
      continue;
    }
    if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) continue;
    let argv: string[] = [];
    try {
      argv = splitCmdline(readFileSync(`/proc/${pid}/cmdline`)).filter((a) => a !== '');
    } catch {
      continue;
    }
    if (realOrSelf(dataRootOf(argv, cwdOf(pid))) === root) return `${file} names live pid ${pid}`;
  }
  return null;
}

/** Bound unix sockets below `dir` (from /proc/net/unix). */
function socketsBelow(dir: string): string[] {
  let text = '';
  try {
    text = readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return [];
  }
  const paths = text.split('\n').slice(1).map((l) => l.trim().split(/\s+/)[7] ?? '').filter((p) => p.startsWith('/'));
  return paths.filter((p) => isInside(p, dir));
}

/** Why `root` is in use, or null. */
export function inUseReason(root: string): string | null {
  const dockerds = liveDockerds();
  const user = dockerds.find((d) => realOrSelf(dataRootOf(d.argv, d.cwd)) === root);
  if (user) return `in use by dockerd pid ${user.pid}; stop it first`;
  const pidFile = pidFileUser(root, dockerds);
  if (pidFile) return `in use: ${pidFile}; stop dockerd first`;
  const mounts = listMounts().filter((m) => isInside(m.target, root));
  if (mounts.length > 0) return `in use: ${mounts.length} mount(s) below it, e.g. ${mounts[0]!.target}`;
  const socks = socketsBelow(root);
  if (socks.length > 0) return `in use: live socket ${socks[0]}`;
  // A process whose cwd is inside the root (a shell, a stuck shim) would keep it busy as well.
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (isInside(readlinkSync(`/proc/${name}/cwd`), root)) return `in use: pid ${name} works inside it`;
    } catch {
      // gone, or a kernel thread
    }
  }
  return null;
}

export function refuseInUse(root: string, what = root): void {
  const why = inUseReason(root);
  if (why) throw new UsageError(`${what}: ${why}`);
}

/**
 * A legacy store dir (`…/overlay`) given for its data root: analyze answers for the root, but
 * convert and migrate write from and beside it, so they name the root to give instead.
 */
export function refuseStoreDir(root: string): void {
  const parent = dirname(root);
  if (basename(root) === 'overlay' && existsSync(join(parent, 'image', 'overlay'))) {
    throw new UsageError(`${root}: the legacy store dir, not its data root; give ${parent}`);
  }
}

/** A legacy root has both `image/overlay/` and `overlay/`. */
export function refuseNotLegacy(root: string, hasLegacyStore: boolean): void {
  if (hasLegacyStore) return;
  const missing = ['image/overlay', 'overlay'].filter((d) => !existsSync(join(root, d)));
  refuseStoreDir(root);
  throw new UsageError(`${root}: not a legacy overlay data root (${missing.length ? `no ${missing.join('/, no ')}/` : 'no layers'})`);
}

/** Any warning means a layer or container the migrated root would lack: refuse rather than lose it. */
export function refuseBroken(warnings: readonly Warning[], verb: 'migrate' | 'convert' = 'migrate'): void {
  const w = warnings[0];
  if (!w) return;
  const more = warnings.length > 1 ? ` (and ${warnings.length - 1} more problem(s))` : '';
  throw new UsageError(`${w.path}: ${w.reason}; refusing to ${verb} an incomplete root${more}`);
}

/** The nearest existing directory at or above `path` (statfs needs one). */
function existingAncestor(path: string): string {
  let p = resolve(path);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

export interface Need {
  inodes: number;
  bytes: number;
}

/** Refuse when the filesystem of `target` lacks the inodes or bytes, with 5 % and 1 MiB to spare. */
export function refuseNoSpace(target: string, need: Need): void {
  const at = existingAncestor(target);
  const fs = statfsSync(at, { bigint: true });
  const freeBytes = Number(fs.bavail * fs.bsize);
  const freeInodes = Number(fs.ffree);
  const bytes = Math.ceil(need.bytes * 1.05) + (1 << 20);
  const inodes = Math.ceil(need.inodes * 1.05) + 16;
  if (bytes > freeBytes) {
    throw new UsageError(`${at}: not enough space: migrate needs ${size(bytes)}, ${size(freeBytes)} free`);
  }
  // Filesystems without an inode limit (btrfs, tmpfs without nr_inodes) report 0 files.
  if (Number(fs.files) > 0 && inodes > freeInodes) {
    throw new UsageError(`${at}: not enough inodes: migrate needs ${inodes}, ${freeInodes} free`);
  }
}
