// The inode number each upper object shows (its origin's, or its own), cached so that its
// `origin` xattr is read and decoded once. By the object's inode number, valid while its ctime is
// the one recorded: a new object at a reused number, or one whose origin xattr changed, has another.
// Keyed by number rather than number and ctime, so that an object's entry is replaced, not joined,
// when its ctime moves or its number is reused: a key per (number, ctime) grew with every file a
// long-lived mount ever saw (~120 bytes each) until the daemon's heap ran out, and capping that
// by count made a walk of more copied-up files than the cap miss on every file (3.5× slower at 80k).
import type { RealStat } from '../sys/index.js';
import { CappedMap } from './capped-map.js';

interface Known {
  ctimeSec: number;
  ctimeNsec: number;
  ino: bigint;
}

/**
 * At most this many objects (~100 bytes each): on filesystems that reuse inode numbers (ext4, xfs)
 * create-and-delete churn replaces entries instead of adding; on tmpfs, whose numbers only grow,
 * the oldest go.
 */
const KEPT = 1 << 18;

export class OriginInos {
  private readonly byIno = new CappedMap<bigint, Known>(KEPT);

  /** The cached number of the upper object stat'ed as `st`, if its ctime is the recorded one. */
  get(st: RealStat): bigint | undefined {
    const k = this.byIno.get(st.ino);
    return k !== undefined && k.ctimeSec === st.ctimeSec && k.ctimeNsec === st.ctimeNsec ? k.ino : undefined;
  }

  set(st: RealStat, ino: bigint): void {
    this.byIno.set(st.ino, { ctimeSec: st.ctimeSec, ctimeNsec: st.ctimeNsec, ino });
  }
}
