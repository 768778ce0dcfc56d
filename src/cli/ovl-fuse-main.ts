// ovl-fuse's command: mount a FUSE overlay with the kernel's option syntax. Run by ovl-fuse.ts, or
// (bin/ovl-fuse, from the bundle) by ovl-fuse-boot.ts as a code-cached CommonJS file.
//   ovl-fuse [-f] -o lowerdir=A:B,upperdir=U,workdir=W[,cache=auto|never|always][,transport=dev|fuse-native][,watch=on|off][,passthrough=on|off][,spin=MICROSECONDS] [SOURCE] MERGED
//   ovl-fuse umount MERGED
// SOURCE is the mount's name in /proc/mounts, as mount(8)'s helper convention passes it: so
// `mount -t fuse.ovl-fuse SOURCE MERGED -o ...` and an fstab line of type fuse.ovl-fuse mount it
// (mount(8) and mount.fuse3 keep nofail, _netdev, x-*, noauto for themselves).
// Without -f the command detaches: it starts the daemon and exits 0 only once the mount is live.
import { closeSync, fstatSync, writeSync } from 'node:fs';
import { existsSync, readlinkSync, realpathSync } from '../sys/fs-bytes.js';
import { basename, dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { OvlError, UsageError, oneLine } from '../errors.js';
import { isRemount, parseMountOptions, parseRemountOptions, resolveMountOptions } from '../format/index.js';
import { hasEscapedBytes } from '../format/byte-names.js';
import { DEFAULT_TRANSPORT, TRANSPORTS, type SessionTuning, type Transport, mountOverlayFuse, premountDev } from '../fuse/mount.js';
import { DEFAULT_SPIN_US, MAX_SPIN_US } from '../fuse/session/spin.js';
import type { CacheMode } from '../fuse/overlay.js';
import { validateMount } from '../fuse/validate.js';
import { mark } from '../fuse/startup-marks.js';
import { MOUNT_FSTYPE } from '../fuse/subtype.js';
import { type WatchMode, watchMode } from '../fuse/watch-mode.js';
import { packageVersion, runMain } from './run.js';
import { argsEnv } from '../sys/raw-args.js';

const CACHE_MODES: readonly CacheMode[] = ['auto', 'never', 'always'];
/** Set in the detached daemon: the fd on which it reports "ok" or the error to its parent. */
const NOTIFY_ENV = 'OVL_FUSE_NOTIFY_FD';
/** Set in a dev-transport daemon whose parent already mounted: the /dev/fuse fd it inherits. */
const DEV_FD_ENV = 'OVL_FUSE_DEV_FD';
/** With DEV_FD_ENV: the layer dirs the parent's mount covers, by the daemon's fd held on each (JSON). */
const COVERED_ENV = 'OVL_FUSE_COVERED';
/** With DEV_FD_ENV: the fd on which the daemon says "held" once a signal can no longer kill it. */
const HELD_FD_ENV = 'OVL_FUSE_HELD_FD';
/**
 * With DEV_FD_ENV: the configuration the parent validated. The daemon must not validate again:
 * that stats the mount point, which is already our own mount, not yet served: it would wait for ever.
 */
const CONFIG_ENV = 'OVL_FUSE_CONFIG';

const HELP = `Usage: ovl-fuse [-f] -o OPTIONS [SOURCE] MERGED
       ovl-fuse umount MERGED

FUSE overlay filesystem that behaves like kernel overlayfs. SOURCE names the mount in
/proc/mounts (default: overlay); with ovl-fuse in /usr/sbin, /usr/bin, /sbin or /bin, mount(8)
mounts it too: mount -t fuse.ovl-fuse SOURCE MERGED -o OPTIONS, or an fstab line of that type.

Options:
  -o, --options <opts>  mount options, as for mount -t overlay (repeatable); besides the kernel's:
                        cache=auto|never|always, transport=dev|fuse-native, watch=on|off,
                        passthrough=on|off, spin=MICROSECONDS (how long the daemon polls
                        for the next request before it sleeps; 0: never; default 100),
                        aufs_whiteouts; remount (with ro|rw and the
                        per-mount flags) changes a mounted MERGED, as mount -o remount does
  -f, --foreground      stay in the foreground
  -V, --version         output the version number
  -h, --help            display help
`;

interface CliArgs {
  options: string[];
  foreground: boolean;
  /** The positional arguments. */
  args: string[];
  /** --help or --version: printed, nothing else to do. */
  done: boolean;
}

/**
 * The command line, parsed by node:util rather than commander: this is the whole grammar, and
 * every mount pays for what the command loads before it mounts.
 */
function parseCli(argv: string[], maxPositionals: number): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        options: { type: 'string', short: 'o', multiple: true },
        foreground: { type: 'boolean', short: 'f' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    });
  } catch (err) {
    // node's first sentence, worded as the other commands' (commander's) errors: "unknown option '-x'".
    const first = (err as Error).message.split(/\n|\. /)[0]!;
    throw new UsageError(first.charAt(0).toLowerCase() + first.slice(1));
  }
  const v = parsed.values;
  const done = v.help === true || v.version === true;
  if (v.help) process.stdout.write(HELP);
  else if (v.version) process.stdout.write(`${packageVersion()}\n`);
  else if (parsed.positionals.length === 0) throw new UsageError("missing required argument 'merged'");
  else if (parsed.positionals.length > maxPositionals) throw new UsageError(`too many arguments: expected ${maxPositionals === 1 ? '1' : `at most ${maxPositionals}`}`);
  return { options: v.options ?? [], foreground: v.foreground === true, args: parsed.positionals, done };
}

function cacheMode(extra: Record<string, string | true>): CacheMode {
  const v = extra.cache ?? 'auto';
  if (v === true || !CACHE_MODES.includes(v as CacheMode)) {
    throw new UsageError(`bad mount option cache=${v === true ? '' : v}: expected one of ${CACHE_MODES.join(', ')}`);
  }
  return v as CacheMode;
}

/**
 * `-o transport=`, else OVL_FUSE_TRANSPORT (so a whole test suite or benchmark can run on either
 * transport without changing its mount options), else the default.
 */
function transportOf(extra: Record<string, string | true>): Transport {
  const v = extra.transport ?? process.env.OVL_FUSE_TRANSPORT ?? DEFAULT_TRANSPORT;
  if (v === true || !TRANSPORTS.includes(v as Transport)) {
    throw new UsageError(`bad mount option transport=${v === true ? '' : v}: expected one of ${TRANSPORTS.join(', ')}`);
  }
  return v as Transport;
}

/**
 * `-o aufs_whiteouts`: read the layer-tar whiteouts in the layers too (OverlayConfig.aufsWhiteouts),
 * for Docker's fuse-overlayfs storage driver, which unpacks image layers with them.
 */
function aufsWhiteoutsOf(extra: Record<string, string | true>): { aufsWhiteouts?: true } {
  const v = extra.aufs_whiteouts;
  if (v === undefined) return {};
  if (v !== true) throw new UsageError(`bad mount option aufs_whiteouts=${v}: it takes no value`);
  return { aufsWhiteouts: true };
}

/**
 * `-o passthrough=on|off` (dev transport): whether reads and writes of upper files may go straight
 * to the upper file (FUSE_PASSTHROUGH, root only, kernel >= 6.9). On by default.
 */
function passthroughOf(extra: Record<string, string | true>): boolean {
  const v = extra.passthrough ?? 'on';
  if (v !== 'on' && v !== 'off') throw new UsageError(`bad mount option passthrough=${v === true ? '' : v}: expected on or off`);
  return v === 'on';
}

/**
 * `-o spin=MICROSECONDS` (dev transport): how long the daemon may poll /dev/fuse after a request
 * before it sleeps (src/fuse/session/spin.ts); 0 never polls.
 */
function spinOf(extra: Record<string, string | true>): number {
  const v = extra.spin;
  if (v === undefined) return DEFAULT_SPIN_US;
  const us = v === true || !/^\d+$/.test(v) ? NaN : Number(v);
  if (!(us <= MAX_SPIN_US)) throw new UsageError(`bad mount option spin=${v === true ? '' : v}: expected microseconds, 0 to ${MAX_SPIN_US}`);
  return us;
}

/**
 * node:child_process is loaded only by the two detaching forms run with node: it brings net,
 * dgram and streams along, ~7 of node's own modules to compile, which a daemon never needs.
 */
async function spawner(): Promise<typeof import('node:child_process').spawn> {
  // require, not import(): bin/ovl-fuse runs this module as a code-cached script, which has no
  // import() (src/fuse/session/code-cache.ts).
  return (createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process')).spawn;
}

/** Start this same command in the foreground as a detached daemon; resolve with its verdict. */
async function detach(argv: string[]): Promise<number> {
  const spawn = await spawner();
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, '-f', ...argv], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...argsEnv(['-f', ...argv]), [NOTIFY_ENV]: '3' },
  });
  return new Promise((resolve) => {
    let text = '';
    const pipe = child.stdio[3] as NodeJS.ReadableStream;
    pipe.setEncoding('utf8');
    pipe.on('data', (d: string) => (text += d));
    const done = (code: number) => {
      child.unref();
      (pipe as unknown as { destroy(): void }).destroy();
      resolve(code);
    };
    pipe.on('end', () => {
      if (text.startsWith('ok')) return done(0);
      process.stderr.write(`ovl-fuse: ${text.replace(/^error: /, '').trim() || 'daemon exited before the mount was live'}\n`);
      done(text.startsWith('usage') ? 2 : 1);
    });
  });
}

/**
 * Detach on the dev transport: mount here (the mount is live when mount(2) returns), hand the
 * /dev/fuse fd to the daemon and return once it holds its STOP_SIGNALS, as libfuse's daemonizing
 * filesystems return before serving: the rest of the daemon's start-up overlaps with the caller's
 * first access, which waits for INIT. Not sooner: a signal to a daemon still loading killed it and
 * left a dead mount (a review signalled it the moment mount(8) returned, ENOTCONN every time). A
 * daemon that fails to start unmounts (lazily) what it was given; one that dies before it holds
 * signals cannot, so this process does.
 */
async function detachMounted(argv: string[], cfgArgs: ReturnType<typeof validateMount>): Promise<number> {
  // The configuration mounted: read-only if work/ could not be made (premountDev warned).
  const { fd, covered, cfg, claims } = await premountDev(cfgArgs.cfg, cfgArgs.merged);
  const spawn = await spawner();
  // The fds held on covered layer dirs go along as the daemon's fds 4, 5, …
  const dirs = Object.keys(covered);
  const heldFd = 4 + dirs.length;
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, '-f', ...argv], {
    detached: true,
    // After the pipe, the claims on the upper and work dirs (fuse/in-use.ts): the daemon never
    // looks at them, it only keeps them open for its life, as a claim must be held.
    stdio: ['ignore', 'ignore', 'ignore', fd, ...dirs.map((d) => covered[d]!), 'pipe', ...claims],
    env: {
      ...process.env,
      ...argsEnv(['-f', ...argv]),
      [DEV_FD_ENV]: '3',
      [CONFIG_ENV]: JSON.stringify({ ...cfgArgs, cfg }),
      [COVERED_ENV]: JSON.stringify(Object.fromEntries(dirs.map((d, i) => [d, 4 + i]))),
      [HELD_FD_ENV]: String(heldFd),
    },
  });
  const pipe = child.stdio[heldFd] as NodeJS.ReadableStream & { destroy(): void };
  const held = await new Promise<boolean>((resolve) => {
    pipe.setEncoding('utf8');
    pipe.once('data', (d: string) => resolve(d.startsWith('held')));
    pipe.once('end', () => resolve(false));
    pipe.once('error', () => resolve(false));
  });
  pipe.destroy();
  child.unref();
  if (held) return 0;
  (await import('../sys/mount.js')).umount(cfgArgs.merged, { lazy: true });
  throw new OvlError('EIO', 'daemon exited before it could serve the mount (unmounted)', { path: cfgArgs.merged });
}

let notified = false;

/**
 * Tell whoever waits on NOTIFY_ENV's fd the verdict: "ok", "usage: …" or "error: …", once. Written
 * synchronously, before anything else this process prints about the same failure. A waiter that
 * also holds our stderr (bin/ovl-fuse passes it the same pipe, so that a daemon that dies before
 * its verdict is not silent) gets it back now: the verdict is the last line it reads.
 */
async function notify(message: string): Promise<void> {
  const given = process.env[NOTIFY_ENV];
  if (given === undefined || notified) return;
  notified = true;
  const fd = Number(given);
  if (sameFile(2, fd)) {
    try {
      (await import('../sys/stdio.js')).pointAtDevNull(2);
    } catch {
      // No libc (the failure being reported may be that): the verdict matters more; the waiter
      // then reads on until this process exits.
    }
  }
  try {
    writeSync(fd, message + '\n');
  } catch {
    // EPIPE: whoever waited is gone (the detaching sh interrupted); that must not kill a live daemon.
  }
  try {
    closeSync(fd);
  } catch {
    // Not open (EBADF): there was nobody to tell.
  }
}

/** Whether fds `a` and `b` are one file (a pipe passed twice, say). */
function sameFile(a: number, b: number): boolean {
  try {
    const x = fstatSync(a);
    const y = fstatSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/**
 * The verdict line for an error, worded as runMain prints it (run.ts exitCodeFor). One line: the
 * waiter (bin/ovl-fuse) reads only the last line, so a newline in a path would cut it in two.
 */
function verdictFor(err: unknown): string {
  if (err instanceof UsageError) return `usage: ${oneLine(err.message)}`;
  if (err instanceof OvlError) return `error: ${oneLine(err.message)}`;
  return `error: internal error: ${oneLine((err instanceof Error ? err.message : String(err)).split('\n')[0]!)}`;
}

/**
 * SIGINT, SIGTERM and SIGHUP (STOP_SIGNALS) unmount `merged` (the session then ends and the
 * daemon exits), from before the mount exists: one that arrives first is kept until `mounted()`
 * says there is one to take down. `interrupted()` is the error for a start so cut short.
 */
function stopOnSignal(merged: string, alreadyMounted: boolean) {
  let isMounted = alreadyMounted;
  const state = {
    signal: undefined as NodeJS.Signals | undefined,
    mounted(): void {
      isMounted = true;
      if (state.signal !== undefined) unmount();
    },
    interrupted: () => new OvlError('EINTR', `interrupted by ${state.signal} before the mount was live`, { path: merged }),
  };
  // Loaded only when needed: the detaching parent never needs libc (start-up time counts).
  const unmount = () => void import('../sys/mount.js').then((m) => m.umountSurely(merged)).catch(() => undefined);
  const on = (signal: NodeJS.Signals) => {
    state.signal ??= signal;
    if (isMounted) unmount();
  };
  for (const signal of STOP_SIGNALS) {
    process.on(signal, on);
    process.off(signal, holdEarly);
  }
  if (earlySignal !== undefined) on(earlySignal);
  return state;
}

/**
 * A daemon started on a mount its parent made (DEV_FD_ENV) must not die of a signal before
 * stopOnSignal is set: the mount would stay, served by nobody. Held from the first line of main.
 */
let earlySignal: NodeJS.Signals | undefined;
/**
 * What ends a mount as libfuse's handlers end it: SIGINT, SIGTERM and SIGHUP (the terminal of an
 * `ovl-fuse -f` closed; node's default action would kill the daemon and leave a dead mount,
 * ENOTCONN, until someone unmounts). A SIGHUP ignored when ovl-fuse started (nohup) stays ignored
 * (bin/ovl-fuse tells).
 */
const STOP_SIGNALS: NodeJS.Signals[] = process.env.OVL_FUSE_HUP_IGNORED === '1' ? ['SIGINT', 'SIGTERM'] : ['SIGINT', 'SIGTERM', 'SIGHUP'];
if (process.env.OVL_FUSE_HUP_IGNORED === '1') process.on('SIGHUP', () => {});
const holdEarly = (signal: NodeJS.Signals) => void (earlySignal ??= signal);

/** Release the parent waiting in detachMounted: a signal from now on is held, not fatal. */
function sayHeld(): void {
  const given = process.env[HELD_FD_ENV];
  if (given === undefined) return;
  // Not for whatever this daemon starts: a fd number means nothing there.
  delete process.env[HELD_FD_ENV];
  try {
    writeSync(Number(given), 'held\n');
    closeSync(Number(given));
  } catch {
    // The parent is gone (killed while waiting): the mount is ours to serve all the same.
  }
}

async function runForeground(
  cfgArgs: ReturnType<typeof validateMount>,
  cache: CacheMode,
  transport: Transport,
  watch: WatchMode,
  tuning: SessionTuning,
): Promise<number> {
  const given = process.env[CONFIG_ENV] === undefined ? undefined : process.env[DEV_FD_ENV];
  const devFd = given === undefined ? undefined : Number(given);
  // Handlers first: a signal between mount(2) and handlers set later killed the daemon and left a
  // dead mount. A signal now is kept until there is a mount to take down (devFd: there is one).
  const stop = stopOnSignal(cfgArgs.merged, devFd !== undefined);
  let mounted;
  try {
    const covered = devFd === undefined ? undefined : (JSON.parse(process.env[COVERED_ENV] ?? '{}') as Record<string, number>);
    // The layers' preparation (emptying a leftover work/) runs before any handler can: a signal
    // it held up is acted on here, before a mount is made only to be taken down.
    const giveUp = () => {
      if (stop.signal !== undefined) throw stop.interrupted();
    };
    mounted = await mountOverlayFuse(cfgArgs.cfg, cfgArgs.merged, cache, transport, devFd, watch, tuning, covered, giveUp);
  } catch (err) {
    // Mounted by our parent: nobody would ever serve it.
    if (devFd !== undefined) await import('../sys/mount.js').then((m) => m.umount(cfgArgs.merged, { lazy: true })).catch(() => undefined);
    throw err;
  }
  stop.mounted();
  // All paths are absolute by now; do not keep the caller's cwd (and its filesystem) busy.
  process.chdir('/');
  // A foreground daemon says "ok" only once it serves requests, so whoever waited for it (tests,
  // scripts) can act at once; the detaching dev command does not wait for this (detachMounted).
  // The status pipe only exists when someone waits for it.
  try {
    if (process.env[NOTIFY_ENV] !== undefined) await mounted.ready;
  } catch (err) {
    throw stop.signal === undefined ? err : stop.interrupted();
  }
  // Stopped before it was live: the mount is going (stop.mounted); no "ok" for a mount that is not.
  if (stop.signal !== undefined) {
    await mounted.closed.catch(() => undefined);
    throw stop.interrupted();
  }
  mark('verdict');
  await notify('ok');
  await mounted.closed;
  return 0;
}

/**
 * `target` as /proc/self/mountinfo names a mount point: symlinks followed (as umount(2) follows
 * them), the last component itself never stat'ed (a dead FUSE mount answers ENOTCONN there).
 */
function mountPointPath(target: string): string {
  let path = resolve(target);
  for (let hops = 0; hops < 40; hops++) {
    let link: string | null = null;
    try {
      // readlink, not lstat: an lstat of a FUSE mount's root asks its daemon, and a stopped or hung
      // daemon held `ovl-fuse umount` in it for good (uninterruptible, deaf to SIGTERM); readlink
      // of a dir is EINVAL from the VFS alone.
      link = readlinkSync(path);
    } catch {
      // EINVAL (not a link), ENOTCONN (a dead mount), ENOENT…: the parent's realpath says the rest
    }
    if (link === null) break;
    path = resolve(dirname(path), link);
  }
  return join(realpathSync(dirname(path)), basename(path));
}

/** How long `ovl-fuse umount` waits for the daemon to exit after the unmount (it takes ~20 ms). */
const DAEMON_EXIT_MS = 3000;

/**
 * The ovl-fuse mount at `target`: the top one, which umount(2) and a remount act on. A wrong path
 * is a usage error naming it (exit 2), not "umount failed: EINVAL" (exit 1). The target itself is
 * never stat'ed: a mount whose daemon died answers ENOTCONN, and must still go.
 */
async function ourMountAt(target: string) {
  const { topMountAt } = await import('../sys/mount.js');
  let real;
  try {
    real = mountPointPath(target);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === 'ENOENT' || code === 'ENOTDIR' ? 'no such directory' : `cannot resolve (${code ?? String(err)})`;
    throw new UsageError(`${target}: ${why}`, { code, cause: err });
  }
  // The top mount at the path is what umount(2) would remove: only ours, whichever transport made
  // it, never a tmpfs or a kernel overlay (also one moved on top of ours with mount --move).
  const top = topMountAt(real);
  if (top === undefined) throw new UsageError(`${target}: ${existsSync(real) ? 'not a mount point' : 'no such directory'}`);
  if (top.fstype !== MOUNT_FSTYPE) throw new UsageError(`${target}: not an ovl-fuse mount (${top.fstype} is mounted there)`);
  return { real, top };
}

async function umountCommand(argv: string[]): Promise<number> {
  const cli = parseCli(argv, 1);
  if (cli.done) return 0;
  const target = cli.args[0]!;
  const { listMounts, umount } = await import('../sys/mount.js');
  const { real, top } = await ourMountAt(target);
  // Return once the daemon has let go of the layers, as the kernel's overlay has when umount(2)
  // returns: a script's next step may unmount a layer's filesystem.
  // Not while the filesystem stays mounted elsewhere (a bind mount of it): its daemon serves on.
  const { servingPids, waitExited } = await import('../fuse/daemons.js');
  const daemons = servingPids(Number(top.dev.split(':')[1]));
  umount(real);
  if (listMounts().some((m) => m.dev === top.dev)) return 0;
  const left = await waitExited(daemons, DAEMON_EXIT_MS);
  // Mounted in another mount namespace too, most likely (a copy made by unshare -m or a container).
  if (left.length > 0) process.stderr.write(`ovl-fuse: warning: ${target}: unmounted here, but its daemon (pid ${left.join(', ')}) still serves it ${DAEMON_EXIT_MS / 1000} s later (mounted in another mount namespace?)\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  // Only the daemon its parent started carries both; anyone else keeps the default actions.
  if (process.env[DEV_FD_ENV] !== undefined && process.env[CONFIG_ENV] !== undefined) {
    for (const signal of STOP_SIGNALS) process.on(signal, holdEarly);
    sayHeld();
  }
  mark('main-running');
  if (argv[0] === 'umount') return umountCommand(argv.slice(1));
  try {
    return await mountCommand(argv);
  } catch (err) {
    // Every way this daemon can fail before it serves ends in a verdict (no-op once "ok" is sent).
    await notify(verdictFor(err));
    throw err;
  }
}

/**
 * fuse-native gives libfuse its mount point (and fsname) as C strings made from JS strings, as
 * UTF-8, so a mount point whose path is not UTF-8 would be another path ("Mountpoint does not
 * exist"). Refused before anything is made; its layers may hold such names (the core opens them
 * itself, byte for byte).
 */
function refuseNativeBytes(merged: string, source: string | undefined): void {
  for (const [what, path] of [['mount point', merged], ['source', source]] as const) {
    if (path !== undefined && hasEscapedBytes(path)) {
      throw new UsageError(`${what} ${path}: not UTF-8, which transport=fuse-native cannot mount on (the default transport can)`);
    }
  }
}

/**
 * `-o remount,…`: what mount(8) runs the helper with for `mount -o remount,rw MERGED` (a review: it
 * answered "unknown mount option remount", and only `mount -i` could make a mount mounted `ro` with
 * an upper writable). Changes the mount's read-only flag and per-mount flags with MS_REMOUNT, as
 * mount(8) does for the kernel's overlay; flags not named stay as mounted, the layers stay.
 */
async function remountCommand(options: string, target: string): Promise<number> {
  const given = parseRemountOptions(options);
  const { real, top } = await ourMountAt(target);
  const now = new Set(top.mountOptions.split(','));
  const vfs = { nosuid: now.has('nosuid'), nodev: now.has('nodev'), noexec: now.has('noexec'), nosymfollow: now.has('nosymfollow'), ...given.vfs };
  (await import('../sys/devfuse.js')).remountFuse(real, { readonly: given.ro ?? now.has('ro'), vfs });
  // bin/ovl-fuse's sh part waits for a verdict (one MERGED argument: it took this for a mount).
  await notify('ok');
  return 0;
}

async function mountCommand(argv: string[]): Promise<number> {
  const opts = parseCli(argv, 2);
  if (opts.done) return 0;
  const [source, merged] = opts.args.length === 2 ? [opts.args[0], opts.args[1]!] : [undefined, opts.args[0]!];
  if (source === '') throw new UsageError('empty source');
  const joined = opts.options.join(',');
  if (isRemount(joined)) return remountCommand(joined, merged);
  const parsed = parseMountOptions(joined, { allow: ['cache', 'transport', 'watch', 'passthrough', 'spin', 'aufs_whiteouts'] });
  const cache = cacheMode(parsed.extra);
  const transport = transportOf(parsed.extra);
  if (transport === 'fuse-native') refuseNativeBytes(merged, source);
  const watch = watchMode(parsed.extra.watch, cache);
  const tuning: SessionTuning = { passthrough: passthroughOf(parsed.extra), spinUs: spinOf(parsed.extra) };
  // The daemon's worker starts first: its start-up overlaps with validation and the mount.
  if (opts.foreground && transport === 'dev') (await import('../fuse/session/prestart.js')).prestartWorker();
  const handed = process.env[CONFIG_ENV];
  const checked =
    handed !== undefined && opts.foreground
      ? (JSON.parse(handed) as ReturnType<typeof validateMount>)
      : validateMount({ ...resolveMountOptions({ ...parsed, extra: {} }), ...aufsWhiteoutsOf(parsed.extra), ...(source === undefined ? {} : { source }) }, merged);
  mark('validated');
  if (!opts.foreground) return transport === 'dev' ? detachMounted(argv, checked) : detach(argv);
  return runForeground(checked, cache, transport, watch, tuning);
}

/** Run the command on process.argv and set the exit code. */
export function run(): Promise<void> {
  return runMain('ovl-fuse', main);
}
