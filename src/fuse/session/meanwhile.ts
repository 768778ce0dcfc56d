// Requests served while a long one runs. The loop answers one request at a time, so a copy-up of
// a large file (1 GiB: 2–3 s here) held every other request of the mount, a stat of another file
// included, and a writer killed during it waited for the copy to end. Between chunks of such a
// copy (and while its fsync runs, for a large one) the core calls Session.meanwhile: requests that
// only read (lookups, attributes, reads, listings, read-only opens) and fsyncs (handed to sync
// threads) are answered at once; every other one is kept, in the order it came, for the loop to
// serve once the long one is answered (a change must not land in the middle of a copy-up); and an
// INTERRUPT of the long one whose caller is being killed ends it with EINTR, as the kernel's
// overlay stops a copy-up at a fatal signal.
import { OvlError, errnoNumber } from '../../errors.js';
import { PollSet, readDev, setDevNonblocking } from '../../sys/devfuse.js';
import { fatalSignalPending } from '../caller-creds.js';
import { IN_HEADER_SIZE, type InHeader, OUT_HEADER_SIZE, Op, decodeInHeader, decodeInterrupt, decodeOpen, newInHeader } from '../protocol/index.js';
import type { LowLevelFs } from './filesystem.js';
import type { Dispatcher } from './dispatch.js';
import { type Log, Responder } from './responder.js';

/**
 * Requests that change nothing a copy-up in progress depends on. FLUSH too: it does nothing here
 * (writes go straight to the real file), and every close(2) waits for it; RELEASE, which only
 * closes a handle (the copy-up opened its own fds, and retargets the node's handles only after its
 * data): kept, each held its fd open, and the kernel, with 12 background requests outstanding,
 * sent no more of them, readahead READs included (a review: reads of other files waited for the
 * copy-up again after 13 opens and closes, and a loop of them ran the daemon out of fds).
 */
const READING = new Set<number>([
  Op.LOOKUP, Op.GETATTR, Op.READLINK, Op.STATFS, Op.GETXATTR, Op.LISTXATTR, Op.ACCESS, Op.READ, Op.STATX, Op.FLUSH, Op.RELEASE,
  Op.OPENDIR, Op.READDIR, Op.READDIRPLUS, Op.RELEASEDIR,
]);
/**
 * FSYNC and FSYNCDIR, with the session's fsync: each only queues its fd for a sync thread (synced
 * in place only when that queue is full or no thread can start). The file being copied up has
 * only lower handles, whose fsync syncs nothing, as the kernel's ovl_fsync of a file not yet
 * copied up; no kept change can be passed by an fsync it should precede: the kernel's fsync holds
 * the file's (a dir's) inode lock, which its writes, truncates and creates take too, and waits for
 * the file's WRITEs before it sends the FSYNC.
 */
const SYNCS = new Set<number>([Op.FSYNC, Op.FSYNCDIR]);
/**
 * Requests read per round at most: clients answered at once send their next request at once, and
 * a round that read until none was left could starve the copy it runs inside.
 */
const PER_ROUND = 64;
/** Bytes of kept requests (a write carries up to max_write) past which nothing more is read. */
const KEPT_BYTES = 64 << 20;
const O_ACCMODE = 3;
const O_TRUNC = 0o1000;
const H = IN_HEADER_SIZE;
const UNMOUNTED = -errnoNumber('ENODEV');

export class Meanwhile {
  /** Requests kept for the loop, each a copy of its bytes, oldest first, and their bytes. */
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;
  /** The request the loop is serving (its header): an INTERRUPT of it may end it. */
  private current: InHeader | null = null;
  /** The kernel sent an INTERRUPT for it: from then on its caller is checked each time. */
  private interrupted = false;
  /**
   * Its caller's death was thrown (EINTR) once: later rounds (a copy-up's fsync, which runs to its
   * end) serve and say whether they still read, without throwing it again.
   */
  private killThrown = false;
  /** Kept requests by unique (their caller), those the kernel sent an INTERRUPT for, and those answered EINTR. */
  private readonly keptCallers = new Map<number, number>();
  private readonly interruptedKept = new Set<number>();
  private readonly dropped = new Set<number>();
  private serving = false;
  private readonly poll: PollSet;
  private responder: Responder | null = null;
  private inBuf: Buffer | null = null;
  private readonly h = newInHeader();

  constructor(
    private devFd: number,
    private fs: LowLevelFs,
    /** Bytes of the loop's own buffers (the largest request or reply). */
    private bufSize: number,
    private log: Log,
    /** INIT's granted flags, for this responder's dispatcher as for the loop's. */
    private granted: () => bigint,
    /**
     * The session's fsync (DevSession.sync): with it, FSYNC and FSYNCDIR are served meanwhile too
     * (an fsync of another file waited for the copy-up before).
     */
    private sync: Dispatcher['sync'] = null,
    /** The loop's requests by opcode (OVL_FUSE_STATS): those answered here count there too. */
    private counts: Float64Array | null = null,
    /** The session's read threads (DevSession.readAside): a READ of data not in memory is theirs here too. */
    private readAside: Dispatcher['readAside'] = null,
  ) {
    this.poll = new PollSet([devFd]);
  }

  /**
   * The loop starts serving request `h` (null: it is done with it). A kept one interrupted while
   * it waited starts interrupted: its caller, if killed meanwhile, ends its copy-up at once (a
   * review saw such a writer's copy-up of 1 GiB run to its end).
   */
  begin(h: InHeader | null): void {
    this.current = h;
    this.killThrown = false;
    this.interrupted = h !== null && this.keptCallers.delete(h.unique) && this.interruptedKept.delete(h.unique);
  }

  /** The oldest kept request for the loop to serve (its bytes), if any. */
  next(): Buffer | undefined {
    for (let b = this.kept.shift(); b !== undefined; b = this.kept.shift()) {
      this.keptBytes -= b.length;
      // Already answered EINTR (its caller was killed while it waited).
      if (!this.dropped.delete(decodeInHeader(b, this.h).unique)) return b;
    }
    return undefined;
  }

  /**
   * Serve what has come meanwhile (see the header); throws EINTR (once) when the current request's
   * caller is being killed. False when nothing more will be read until the loop is done with the
   * current request: its kept requests are at their limit (or there is none to serve beside).
   */
  serve(): boolean {
    // Not from a request this serves itself (they do not run long), nor twice at once.
    if (this.serving || this.current === null) return false;
    // Interrupted by a signal that was not fatal, the caller may still be killed: the kernel sends
    // one INTERRUPT per request, so its caller is looked at again each time.
    let killed = !this.killThrown && this.interrupted && fatalSignalPending(this.current.pid);
    this.poll.wait(0);
    // Unmounted (or the connection aborted): the copy is for nobody now.
    if (this.poll.failed(0)) throw new OvlError('ENODEV', 'the mount is gone');
    if (!killed && !this.poll.readable(0)) return true;
    this.serving = true;
    setDevNonblocking(this.devFd, true);
    try {
      const r = this.ready();
      const buf = this.inBuf!;
      const h = this.h;
      for (let round = 0; round < PER_ROUND && this.keptBytes < KEPT_BYTES; round++) {
        // Negative: EAGAIN (nothing more), ENODEV (unmounted: the copy ends), EINTR, ENOENT.
        const n = readDev(this.devFd, buf);
        if (n === UNMOUNTED) throw new OvlError('ENODEV', 'the mount is gone');
        if (n < IN_HEADER_SIZE) break;
        decodeInHeader(buf, h);
        const answered = READING.has(h.opcode) || (h.opcode === Op.OPEN && readOnlyOpen(decodeOpen(buf, H).flags)) || (this.sync !== null && SYNCS.has(h.opcode));
        // A kept one is counted when the loop serves it.
        if (this.counts !== null && (answered || h.opcode === Op.INTERRUPT)) this.counts[h.opcode & 63]!++;
        if (h.opcode === Op.INTERRUPT) {
          const of = decodeInterrupt(buf, H);
          if (this.keptCallers.has(of)) this.interruptKept(r, of);
          if (of !== this.current.unique) continue;
          this.interrupted = true;
          if (!this.killThrown && fatalSignalPending(this.current.pid)) killed = true;
        } else if (answered) {
          r.serve(h, buf);
        } else {
          this.kept.push(Buffer.from(buf.subarray(0, n)));
          this.keptBytes += n;
          this.keptCallers.set(h.unique, h.pid);
        }
      }
    } finally {
      setDevNonblocking(this.devFd, false);
      this.serving = false;
    }
    if (killed) {
      this.killThrown = true;
      throw new OvlError('EINTR', `request ${this.current.unique}: its caller is being killed`);
    }
    return this.keptBytes < KEPT_BYTES;
  }

  /**
   * The kernel interrupted kept request `unique`: if its caller is being killed, it is answered
   * EINTR now, not served after the copy-up (a killed writer waited for another file's copy-up,
   * then made its own); else its caller is looked at again when the loop serves it.
   */
  private interruptKept(r: Responder, unique: number): void {
    const pid = this.keptCallers.get(unique)!;
    if (!fatalSignalPending(pid)) return void this.interruptedKept.add(unique);
    this.keptCallers.delete(unique);
    this.dropped.add(unique);
    const gone = newInHeader();
    gone.unique = unique;
    r.reply(gone, OUT_HEADER_SIZE, -errnoNumber('EINTR'));
  }

  private ready(): Responder {
    if (this.responder === null) {
      this.inBuf = Buffer.allocUnsafe(this.bufSize);
      this.responder = new Responder(this.devFd, this.fs, Buffer.allocUnsafe(this.bufSize), this.log);
      this.responder.dispatcher.sync = this.sync;
      this.responder.dispatcher.readAside = this.readAside;
    }
    this.responder.dispatcher.granted(this.granted());
    return this.responder;
  }
}

function readOnlyOpen(flags: number): boolean {
  return (flags & O_ACCMODE) === 0 && (flags & O_TRUNC) === 0;
}
