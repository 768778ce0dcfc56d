// A copy-up's reads of its lower file, kept off the loop where the page cache lacks the data.
// The loop copies a lower file's data itself (copy_file_range, or read(2) between filesystems),
// and a chunk the page cache lacks waits for the disk: on a lower disk that stalls, the whole
// mount waited with it, where the kernel's overlay holds only the writer. So each chunk is first
// asked of the page cache (cachestat: rangeCached); while every chunk is there the copy goes on as
// before ("hot"). At the first chunk that is not, the copy turns "cold": from then on the loop
// copies only what a read thread has finished reading, window by window (8 MiB, or the chunk if
// larger), the next window handed to the thread as soon as one is in, so that the disk reads it
// while the loop copies; the loop serves other requests while it waits for a window.
//
// Why not trust cachestat throughout: it counts a page that is still being read in (read-ahead in
// flight) as there, and copy_file_range of such a page waits for the disk (a review: past the
// first window the loop read most of a cold file itself, and a disk that stalled mid-copy held the
// mount). So while hot, a chunk's pages are also asked whether they are being read (a read
// without waiting of one page each 128 KiB: noneInFlight), and once cold only the thread's
// finished windows count (a sparse copy's are a chunk each: SEEK_DATA may jump over the rest).
// The thread reads through its own open of the file, which reads ahead; the copy's fd is advised
// random, so that its own misses read no more than they ask (its asynchronous read-ahead at a
// page another reader marked still runs: the probes are for that). Left: a read-ahead window in
// flight that lies wholly between two asked pages (under 128 KiB) is not seen.
import { constants, openSync } from 'node:fs';
import { closeFd } from '../../sys/fd.js';
import { NOT_CACHED, NOWAIT_REFUSED, PAGE, canAskCache, rangeCached, readCached } from '../../sys/read-cached.js';
import { adviseRandom } from '../../sys/space.js';

/** How much of a cold lower a read thread reads at once, at least (a larger chunk is one window). */
const COPY_READ_WINDOW = 8 << 20;

/** Pages asked for being read in, in a chunk all in the page cache: one each this many bytes, and the last. */
const PROBE_EVERY = 128 << 10;

/** One range handed to a read thread, and the eventfd it rings with the read's errno + 1. */
export interface Window {
  from: number;
  to: number;
  bell: number;
}

/** What the session lends a copy's reads. */
export interface CopyReadsHost {
  /** Hand the read of [from, to) of `fd` (a dup the thread closes) to its filesystem's read queue; null when it cannot. */
  readWindow(fd: number, from: number, to: number): Window | null;
  /**
   * Serve the mount until `w`'s bell rings; throw the read's error (on `path`), or what serving
   * threw (EINTR: the caller is being killed; ENODEV: unmounted), leaving the window to end alone.
   */
  waitWindow(w: Window, path: string): void;
  /** The copy no longer wants `w`: its bell is closed once the thread has rung it. */
  abandon(w: Window): void;
}

export class CopyReads {
  private fd = -1;
  private path = '';
  private end = 0;
  private sparse = false;
  /** off: no copy, or one copied in place; hot: every chunk so far was cached; cold: by windows. */
  private mode: 'off' | 'hot' | 'cold' = 'off';
  /** The thread's own open of the file (cold), each window given a dup of it. */
  private own = -1;
  /** What the thread has finished reading, since the copy turned cold. */
  private readyFrom = 0;
  private readyTo = 0;
  private ahead: Window | null = null;
  private readonly probe = Buffer.allocUnsafe(PAGE);

  constructor(private host: CopyReadsHost) {}

  /**
   * A copy of `fd` (`path`) up to `end` (its data's size) begins. `sparse`: it goes by SEEK_DATA,
   * jumping over holes, so windows are a chunk each, not 8 MiB.
   */
  begin(fd: number, end: number, sparse: boolean, path: string): void {
    this.end = end;
    this.sparse = sparse;
    this.path = path;
    this.fd = fd;
    this.mode = canAskCache() ? 'hot' : 'off';
    // A miss of its own reads only what it asks (see the header).
    if (this.mode === 'hot') adviseRandom(fd);
  }

  /** Whether [offset, offset + size) of the copy may be copied now, the loop waiting for no disk. */
  ready(offset: number, size: number): boolean {
    if (this.mode === 'off') return true;
    const upTo = Math.min(offset + size, this.end);
    if (upTo <= offset) return true;
    if (this.mode === 'hot') return rangeCached(this.fd, offset, upTo) && this.noneInFlight(offset, upTo);
    return offset >= this.readyFrom && upTo <= this.readyTo;
  }

  /**
   * Whether no page of [offset, upTo), all in the page cache, is still being read in: a read
   * without waiting (RWF_NOWAIT) of the first page of every PROBE_EVERY bytes and of the last page
   * refuses one that is (a read-ahead in flight: a window of it, 128 KiB or more, meets one of
   * them). The copy's own reads set one going whenever they meet the page another reader's
   * read-ahead marked to start the next: posix_fadvise cannot turn that off (a review, and a test
   * whose disk stalled with the marked page in memory: the loop then waited for the disk). ~0.9 µs
   * a page.
   */
  private noneInFlight(offset: number, upTo: number): boolean {
    const last = Math.floor((upTo - 1) / PAGE) * PAGE;
    try {
      for (let at = Math.floor(offset / PAGE) * PAGE; ; at = Math.min(at + PROBE_EVERY, last)) {
        const got = readCached(this.fd, this.probe, 0, PAGE, at);
        if (got === NOT_CACHED) return false;
        // A filesystem that cannot read without waiting (tmpfs, a kernel overlay) is copied in
        // place, as its READs are: no more asking for this copy.
        if (got === NOWAIT_REFUSED) {
          this.mode = 'off';
          return true;
        }
        if (at === last) return true;
      }
    } catch {
      // EIO and the like: the thread's read meets it too, and says it with the path
      return false;
    }
  }

  /** Make [offset, offset + size) ready (ready() said no): a read thread reads it while the mount is served. */
  serve(offset: number, size: number): void {
    const upTo = Math.min(offset + size, this.end);
    if (this.mode === 'hot' && !this.turnCold(offset)) return;
    const span = Math.max(size, this.sparse ? 0 : COPY_READ_WINDOW);
    const a = this.ahead;
    this.ahead = null;
    if (a !== null && a.from <= Math.max(offset, this.readyTo) && upTo <= a.to) {
      this.host.waitWindow(a, this.path);
      this.readyTo = a.to;
    } else {
      if (a !== null) this.host.abandon(a);
      const w = this.host.readWindow(this.own, offset, Math.min(this.end, offset + span));
      if (w === null) return void (this.mode = 'off');
      this.host.waitWindow(w, this.path);
      [this.readyFrom, this.readyTo] = [w.from, w.to];
    }
    // A sparse copy's next chunk may be far on (SEEK_DATA): the one read ahead is the chunk's size,
    // abandoned if the copy jumps past it.
    if (this.readyTo < this.end) this.ahead = this.host.readWindow(this.own, this.readyTo, Math.min(this.end, this.readyTo + span));
  }

  /** The copy is over, or failed: a window still being read is left to end alone. */
  finish(): void {
    if (this.ahead !== null) this.host.abandon(this.ahead);
    this.ahead = null;
    if (this.own >= 0) closeFd(this.own);
    this.own = -1;
    this.fd = -1;
    this.mode = 'off';
  }

  /**
   * The first chunk the page cache lacks: read by windows from now on, through an open of the
   * file of the thread's own (it reads ahead; the copy's fd does not). False (copied in place)
   * when the filesystem cannot read without waiting (RWF_NOWAIT refused: tmpfs, a kernel overlay,
   * FUSE, as their READs are) or the file cannot be opened again.
   */
  private turnCold(offset: number): boolean {
    this.mode = 'off';
    try {
      if (readCached(this.fd, this.probe, 0, PAGE, offset) === NOWAIT_REFUSED) return false;
    } catch {
      // EIO and the like: the thread's read meets it too, and says it with the path
    }
    try {
      this.own = openSync(`/proc/self/fd/${this.fd}`, constants.O_RDONLY | constants.O_NOATIME);
    } catch {
      return false;
    }
    this.mode = 'cold';
    this.readyFrom = this.readyTo = 0;
    return true;
  }
}
