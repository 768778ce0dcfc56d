// Requests served while a long one runs. The loop answers one request at a time, so a copy-up of
// a large file (1 GiB: 2–3 s here) held every other request of the mount, a stat of another file
// included, and a writer killed during it waited for the copy to end. Between chunks of such a
// copy the core calls Session.meanwhile: requests that only read (lookups, attributes, reads,
// listings, read-only opens) are answered at once; every other one is kept, in the order it came,
// for the loop to serve once the long one is answered (a change must not land in the middle of a
// copy-up); and an INTERRUPT of the long one whose caller is being killed ends it with EINTR, as
// the kernel's overlay stops a copy-up at a fatal signal.
import { OvlError } from '../../errors.js';
import { PollSet, readDev, setDevNonblocking } from '../../sys/devfuse.js';
import { fatalSignalPending } from '../caller-creds.js';
import { IN_HEADER_SIZE, type InHeader, Op, decodeInHeader, decodeInterrupt, decodeOpen, newInHeader } from '../protocol/index.js';
import type { LowLevelFs } from './filesystem.js';
import { type Log, Responder } from './responder.js';

/**
 * Requests that change nothing a copy-up in progress depends on. FLUSH too: it does nothing here
 * (writes go straight to the real file), and every close(2) waits for it; and a dir's handles.
 */
const READING = new Set<number>([
  Op.LOOKUP, Op.GETATTR, Op.READLINK, Op.STATFS, Op.GETXATTR, Op.LISTXATTR, Op.ACCESS, Op.READ, Op.STATX, Op.FLUSH,
  Op.OPENDIR, Op.READDIR, Op.READDIRPLUS, Op.RELEASEDIR,
]);
const O_ACCMODE = 3;
const O_TRUNC = 0o1000;
const H = IN_HEADER_SIZE;

export class Meanwhile {
  /** Requests kept for the loop, each a copy of its bytes, oldest first. */
  readonly kept: Buffer[] = [];
  /** The request the loop is serving (its header): an INTERRUPT of it may end it. */
  private current: InHeader | null = null;
  /** The kernel sent an INTERRUPT for it: from then on its caller is checked each time. */
  private interrupted = false;
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
  ) {
    this.poll = new PollSet([devFd]);
  }

  /** The loop starts serving request `h` (null: it is done with it). */
  begin(h: InHeader | null): void {
    this.current = h;
    this.interrupted = false;
  }

  /** Serve what has come meanwhile (see the header); throws EINTR once the current request's caller is being killed. */
  serve(): void {
    // Not from a request this serves itself (they do not run long), nor twice at once.
    if (this.serving || this.current === null) return;
    // Interrupted by a signal that was not fatal, the caller may still be killed: the kernel sends
    // one INTERRUPT per request, so its caller is looked at again each time.
    let killed = this.interrupted && fatalSignalPending(this.current.pid);
    this.poll.wait(0);
    if (!killed && !this.poll.readable(0)) return;
    this.serving = true;
    setDevNonblocking(this.devFd, true);
    try {
      const r = this.ready();
      const buf = this.inBuf!;
      const h = this.h;
      for (;;) {
        // Negative: EAGAIN (nothing more), ENODEV (unmounted: the loop finds out next), EINTR, ENOENT.
        const n = readDev(this.devFd, buf);
        if (n < IN_HEADER_SIZE) break;
        decodeInHeader(buf, h);
        if (h.opcode === Op.INTERRUPT) {
          if (decodeInterrupt(buf, H) !== this.current.unique) continue;
          this.interrupted = true;
          if (fatalSignalPending(this.current.pid)) killed = true;
        } else if (READING.has(h.opcode) || (h.opcode === Op.OPEN && readOnlyOpen(decodeOpen(buf, H).flags))) {
          r.serve(h, buf);
        } else {
          this.kept.push(Buffer.from(buf.subarray(0, n)));
        }
      }
    } finally {
      setDevNonblocking(this.devFd, false);
      this.serving = false;
    }
    if (killed) throw new OvlError('EINTR', `request ${this.current.unique}: its caller is being killed`);
  }

  private ready(): Responder {
    if (this.responder === null) {
      this.inBuf = Buffer.allocUnsafe(this.bufSize);
      this.responder = new Responder(this.devFd, this.fs, Buffer.allocUnsafe(this.bufSize), this.log);
    }
    this.responder.dispatcher.granted(this.granted());
    return this.responder;
  }
}

function readOnlyOpen(flags: number): boolean {
  return (flags & O_ACCMODE) === 0 && (flags & O_TRUNC) === 0;
}
