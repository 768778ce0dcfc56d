// A directory listing assembled in the order kernel overlayfs emits it (readdir.ts decides what
// each entry shows): `.` and `..` where the layer's getdents had them, and the getdents rules the
// kernel plays out when a lookup it makes while listing is refused.
import type { Listing, Shown } from './readdir.js';

/**
 * A listing built in the kernel's order: its entries straight into the three arrays (a cold walk
 * lists every dir once, and an object per entry showed as GC work: +10 % of the daemon's CPU), the
 * refused lookups apart, by their place in the sequence of both, and `.` and `..` put in at the end.
 */
export class ListingBuilder {
  readonly names: string[] = [];
  readonly shown: Shown[] = [];
  readonly dIno: number[] = [];
  /** Refused lookups (getdents rules: finish) as [place in the sequence, errno]; null while none. */
  private refused: Array<[number, string]> | null = null;

  /** The place in the sequence of entries and refusals the next one takes. */
  get seq(): number {
    return this.names.length + (this.refused?.length ?? 0);
  }

  add(name: string, shown: Shown, dIno: number): void {
    this.names.push(name);
    this.shown.push(shown);
    this.dIno.push(dIno);
  }

  /** A name whose lookup the kernel makes while listing, refused with `code`. */
  refuse(code: string): void {
    (this.refused ??= []).push([this.seq, code]);
  }

  /**
   * The listing, with `.` and `..` at their places in the sequence (`dots`, in order). With a
   * refused lookup, the kernel's getdents played out: it hides its entry, and fails the getdents
   * call only when that call has emitted nothing yet; a call that has emitted stops there, and the
   * next one goes on past the hidden entry. So a refused entry is dropped silently unless nothing
   * was listed since the start or since the refusal before it: there the listing fails (the entries
   * before it go out, then the errno).
   */
  finish(dots: Array<[string, number]>, self: Shown, parent: Shown, unlooked: Set<string>): Listing {
    const { names, shown, dIno } = this;
    const listing: Listing = { names, shown, dIno, unlooked, changesWhenImpure: false };
    if (this.refused === null) {
      for (let i = dots.length - 1; i >= 0; i--) {
        const [name, at] = dots[i]!;
        const s = name === '.' ? self : parent;
        names.splice(at, 0, name);
        shown.splice(at, 0, s);
        dIno.splice(at, 0, Number(s.ino));
      }
      return listing;
    }
    const out: Listing = { names: [], shown: [], dIno: [], unlooked, changesWhenImpure: false };
    const refused = this.refused;
    let entry = 0;
    let refusal = 0;
    let dot = 0;
    let emitted = false;
    for (let place = 0; place <= names.length + refused.length; place++) {
      for (; dot < dots.length && dots[dot]![1] === place; dot++) {
        const [name] = dots[dot]!;
        const s = name === '.' ? self : parent;
        out.names.push(name);
        out.shown.push(s);
        out.dIno.push(Number(s.ino));
        emitted = true;
      }
      if (refusal < refused.length && refused[refusal]![0] === place) {
        if (!emitted) {
          out.error = refused[refusal]![1];
          return out;
        }
        emitted = false;
        refusal++;
      } else if (entry < names.length) {
        out.names.push(names[entry]!);
        out.shown.push(shown[entry]!);
        out.dIno.push(dIno[entry]!);
        entry++;
        emitted = true;
      }
    }
    return out;
  }
}
