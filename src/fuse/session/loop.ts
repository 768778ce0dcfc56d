// The session loop: synchronous, one request at a time, on the thread that owns the filesystem
// (but for what a long request lets Meanwhile serve while it runs). One receive and one reply
// buffer for the whole session; read → decode → dispatch → encode → write. A handler's throw
// (the dispatcher's FAILED) becomes the reply's errno (never a crash); unmount ends the loop
// (read answers ENODEV); extra fds (the layer watcher) are polled beside /dev/fuse and served
// between requests.
import { writeFileSync } from 'node:fs';
import { errnoNumber, errnoOf } from '../../errors.js';
import { PollSet, readDev } from '../../sys/devfuse.js';
import {
  INIT_OUT_SIZE,
  IN_HEADER_SIZE,
  type InitOut,
  type InitWant,
  OUT_HEADER_SIZE,
  Op,
  decodeInHeader,
  decodeInit,
  encodeInitOut,
  negotiate,
  newInHeader,
} from '../protocol/index.js';
import type { DevSession } from './dev-session.js';
import type { LowLevelFs } from './filesystem.js';
import { Meanwhile } from './meanwhile.js';
import { type Log, Responder } from './responder.js';
import { mark } from '../startup-marks.js';
import { Spinner } from './spin.js';

export interface LoopOptions {
  want: InitWant;
  /** Log handler bugs (non-errno throws) and failed lookups to stderr (OVL_FUSE_DEBUG). */
  debug: boolean;
  /** Called once INIT is answered (the mount is usable). */
  onReady?: (init: InitOut) => void;
  /** The longest poll before the loop sleeps, µs (./spin.ts); 0 or absent: none. */
  spinUs?: number;
}

// Room for the largest request: a WRITE of max_write plus headers, or a 64 KiB xattr value.
const SLACK = 128 * 1024;

const UNMOUNTED = -errnoNumber('ENODEV');

/** Serve `fs` on the /dev/fuse fd until the filesystem is unmounted. */
export function runLoop(devFd: number, fs: LowLevelFs, session: DevSession, opts: LoopOptions): void {
  const inBuf = Buffer.allocUnsafe(opts.want.maxWrite + SLACK);
  const h = newInHeader();
  const log: Log = (what, err) => {
    if (opts.debug) process.stderr.write(`ovl-fuse: ${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  };
  const responder = new Responder(devFd, fs, Buffer.allocUnsafe(opts.want.maxWrite + SLACK), log);
  const sync = (unique: number, fd: number, datasync: boolean, owned: boolean) => session.sync(unique, fd, datasync, owned);
  responder.dispatcher.sync = sync;
  const readAside = (unique: number, fd: number, offset: number, size: number) => session.readAside(unique, fd, offset, size);
  responder.dispatcher.readAside = readAside;
  // OVL_FUSE_STATS=<file>: count the requests by opcode and write them there at unmount, to see
  // what the kernel still asks in a workload (a typed-array increment per request otherwise).
  const statsFile = process.env.OVL_FUSE_STATS;
  const counts = new Float64Array(64);
  const meanwhile = new Meanwhile(devFd, fs, inBuf.length, log, () => session.grantedFlags, sync, counts, readAside);
  // Between a long copy-up's chunks too, a READ queued behind busy read threads gets one (tendReads).
  session.meanwhile = () => {
    session.tendReads();
    return meanwhile.serve();
  };
  const spinner = opts.spinUs ? new Spinner(opts.spinUs, () => performance.now()) : null;
  const watcher = new WatchedFds(devFd, session, log, spinner);
  let initialised = false;
  /** Serve request `h` in `b`; false once the session is over (DESTROY). */
  const serve = (b: Buffer): boolean => {
    counts[h.opcode & 63]!++;
    if (h.opcode === Op.DESTROY) {
      responder.reply(h, OUT_HEADER_SIZE, 0);
      return false;
    }
    meanwhile.begin(h);
    responder.serve(h, b);
    meanwhile.begin(null);
    spinner?.requestDone();
    return true;
  };
  try {
    for (;;) {
      // What came while a long request ran and was not served then, in the order it came.
      for (let b = meanwhile.next(); b !== undefined; b = meanwhile.next()) {
        decodeInHeader(b, h);
        if (!serve(b)) return;
      }
      // READs queued behind busy read threads: wait for requests no longer than the queue's
      // patience, then start a thread for them if they still wait.
      const wait = session.readsWaitMs();
      if (wait >= 0) session.tendReads();
      if (!watcher.serve(wait)) continue;
      // Negative: ENODEV (unmounted), or EINTR, EAGAIN, ENOENT (nothing to serve: read again).
      const n = readDev(devFd, inBuf);
      watcher.afterRead();
      if (n === UNMOUNTED) return;
      if (n < IN_HEADER_SIZE) continue;
      decodeInHeader(inBuf, h);
      if (h.opcode === Op.INIT) {
        counts[h.opcode & 63]!++;
        const init = negotiateInit(inBuf, h.len, opts.want, responder.out, (len, error) => responder.reply(h, len, error));
        mark('init-answered');
        session.grantedFlags = init.flags;
        session.protocolMinor = init.minor;
        responder.dispatcher.granted(init.flags);
        // Told before fs.init (the layer watcher's set-up): the verdict then travels to whoever
        // waits while that runs, and no request is read until it is done.
        opts.onReady?.(init);
        if (!initialised) fs.init(session);
        mark('fs-init-done');
        initialised = true;
        continue;
      }
      if (!serve(inBuf)) return;
    }
  } finally {
    try {
      if (initialised) fs.destroy();
    } finally {
      try {
        session.close();
      } finally {
        if (statsFile) writeStats(statsFile, counts);
      }
    }
  }
}

function writeStats(file: string, counts: Float64Array): void {
  const names = new Map(Object.entries(Op).map(([k, v]) => [v & 63, k]));
  const by: Record<string, number> = {};
  counts.forEach((n, op) => {
    if (n > 0) by[names.get(op) ?? String(op)] = n;
  });
  writeFileSync(file, JSON.stringify(by) + '\n');
}

/** Answer INIT; a kernel we cannot speak to gets EPROTO and the error ends the session. */
function negotiateInit(inBuf: Buffer, len: number, want: InitWant, out: Buffer, reply: (len: number, error: number) => void): InitOut {
  let init: InitOut;
  try {
    init = negotiate(decodeInit(inBuf, IN_HEADER_SIZE, len), want);
  } catch (err) {
    reply(OUT_HEADER_SIZE, -errnoOf(err));
    throw err;
  }
  encodeInitOut(out, OUT_HEADER_SIZE, init);
  reply(OUT_HEADER_SIZE + INIT_OUT_SIZE, 0);
  return init;
}

/**
 * How long the loop polls /dev/fuse alone after a wake-up that only other processes' layer events
 * caused, ms. Each mount's watcher marks the whole filesystem of its layers, so every change anyone
 * makes there reaches its daemon, and on a container host every container's daemon. Woken for each
 * event, an idle daemon read the fanotify fd 14,886 times while a writer outside its layers wrote
 * 2,906 times; resting, 321–399 times for ~2,000–3,100 writes, at less than half the CPU
 * (test/fuse/watch-rest.test.ts, scripts/watch-density.sh). 1 ms rather than more: a change that
 * comes within the rest shows through the mount up to that much later (scripts/watch-latency.sh),
 * unless a request comes first, which always has the watcher asked before it is served.
 */
export const REST_MS = 1;

/**
 * The extra fds of Session.watchFd, polled beside /dev/fuse and served between requests; and the
 * polling before the loop sleeps (./spin.ts), which only /dev/fuse becoming readable feeds.
 */
class WatchedFds {
  private poll: PollSet | null = null;
  private readonly devOnly: PollSet;
  private watchedOnly: PollSet | null = null;
  private generation = -1;
  /** serve() left the wait to read(2): the loop tells afterRead() when it returned. */
  private readWaited = false;
  /** When a wake-up that only the watched fds caused was served (performance.now() ms); -Infinity: none to rest from. */
  private servedAt = -Infinity;

  constructor(
    private devFd: number,
    private session: DevSession,
    private log: (what: string, err: unknown) => void,
    /** Poll before sleeping, or null: sleep at once. */
    private spinner: Spinner | null,
  ) {
    this.devOnly = new PollSet([devFd]);
  }

  /**
   * With no watched fds and no timeout, true once nothing came while polling (the loop blocks in
   * read). Otherwise wait until something is ready or `timeoutMs` passed (-1: no limit), polling
   * first while the spinner says so, run the callbacks of the readable ones, and say whether
   * /dev/fuse should be read: also on POLLERR, which umount gives and the read then reports as
   * ENODEV (a loop that only read on POLLIN would spin for ever). Within REST_MS of a wake-up
   * that only watched fds caused, only /dev/fuse is waited for, at most until the rest ends (then
   * false: ask again); a request that comes meanwhile has the watched fds asked (not waited for)
   * before it. A daemon that serves requests is awake anyway and asks all at once: no rest.
   */
  serve(timeoutMs = -1): boolean {
    const watched = this.session.watched;
    const spinner = this.spinner;
    const inRead = watched.length === 0 && timeoutMs < 0;
    const polls = spinner !== null && timeoutMs !== 0 && spinner.startPolls();
    if (inRead && !polls) {
      this.readWaited = spinner !== null;
      return true;
    }
    if (this.generation !== this.session.watchGeneration) {
      this.poll = new PollSet([this.devFd, ...watched.map((w) => w.fd)]);
      this.watchedOnly = new PollSet(watched.map((w) => w.fd));
      this.generation = this.session.watchGeneration;
    }
    let rest = this.servedAt === -Infinity ? 0 : this.servedAt + REST_MS - performance.now();
    if (rest > 0 && timeoutMs >= 0 && timeoutMs < rest) rest = timeoutMs;
    const poll = rest > 0 ? this.devOnly : this.poll!;
    let ready = 0;
    if (polls) {
      do ready = poll.wait(0);
      while (ready <= 0 && spinner.polling());
    }
    if (ready <= 0) {
      if (inRead) {
        this.readWaited = true;
        return true;
      }
      poll.wait(rest > 0 ? Math.ceil(rest) : timeoutMs);
    }
    const dev = poll.readable(0) || poll.failed(0);
    if (poll !== this.devOnly) {
      // Rest only after a wake-up that others' changes alone caused: the daemon's own (what its
      // requests changed in the layers) come while it serves requests, awake anyway.
      const foreign = this.serveWatched(watched, poll, 1);
      this.servedAt = foreign && !dev ? performance.now() : -Infinity;
    } else if (dev) {
      // A request during the rest: what the watched fds hold was queued before it, and is served
      // first (a lower file rewritten and then read through the mount must show its new size).
      // They alone are asked, so a poll of /dev/fuse with no wait is always the spinner's.
      this.watchedOnly!.wait(0);
      this.serveWatched(watched, this.watchedOnly!, 0);
      this.servedAt = -Infinity;
    }
    if (dev) spinner?.requestCame();
    return dev;
  }

  /**
   * Run the callbacks of the watched fds `poll` found readable (the first at index `first`);
   * whether any read something of others.
   */
  private serveWatched(watched: DevSession['watched'], poll: PollSet, first: number): boolean {
    let foreign = false;
    for (let i = 0; i < watched.length; i++) {
      if (!poll.readable(first + i)) continue;
      try {
        if (watched[i]!.onReadable() === true) foreign = true;
      } catch (err) {
        this.log('watched fd callback', err);
      }
    }
    return foreign;
  }

  /** The loop's read(2) of /dev/fuse returned after serve() left the wait to it. */
  afterRead(): void {
    if (!this.readWaited) return;
    this.readWaited = false;
    this.spinner!.requestCame();
  }
}
