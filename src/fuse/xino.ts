// Inode numbers when the layers are on more than one filesystem. ovl-fuse shows the real inode
// numbers of the layers (inode.ts), which are unique only within one filesystem: a lower file on
// one tmpfs and an upper file on another could both be inode 5 on the one st_dev a FUSE mount has,
// and `cmp`, `diff` and `find -samefile` then took two different files for one. The kernel's
// overlay keeps such objects apart by st_dev (each filesystem's own, with `xino=off`, its default
// here), which a FUSE mount cannot give per file, or, with `xino=on`, by putting the layer's
// filesystem number (fsid: 0 the upper's, then each other lower filesystem in lowerdir order) in
// the high bits of st_ino (fs/overlayfs/inode.c ovl_map_ino). ovl-fuse always does the latter when
// the layers span filesystems: numbers stay unique and survive remounts.
//
// Where the bits go, as the kernel (super.c ovl_get_layers; checked on 6.18): 32 bits are kept
// free for the fsid when every layer's filesystem, data-only layers included, encodes file handles
// with 32-bit inode numbers (generic_encode_ino32_fh: ext2/3/4 and squashfs among those met here):
// st_ino = ino | fsid << 33, the kernel's own numbers. Otherwise the kernel keeps
// ilog2(fs count - 1) + 2 bits at the top of 64 (tmpfs, xfs, btrfs…), which the 53 bits a JS number
// holds exactly cannot carry: ovl-fuse puts the same bits at the top of 53 instead (unique, not the
// kernel's `xino=on` numbers). A real number that already uses those bits (a FUSE or network
// lower, upper numbers too) cannot be mapped: the kernel then gives the object another st_dev, or
// a dir a number of its own; ovl-fuse gives either a number from the range the kernel keeps for
// that (the lowest fsid bit set), unique while mounted, not across remounts.
import { statSync, statfsSync } from '../sys/fs-bytes.js';
import type { Layer, LayerStack } from './layers.js';

/** statfs f_type of filesystems whose file handles are generic_encode_ino32_fh's: ext2/3/4, squashfs. */
const INO32_TYPES = new Set([0xef53, 0x73717368]);

export class InoMap {
  /** Bit where the fsid starts (fsid << shift); 0: all layers on one filesystem, numbers unmapped. */
  readonly shift: number;
  private readonly fsidOfLayer: number[];
  private readonly fsidOfDev = new Map<number, number>();
  /** Numbers given to objects whose own could not be mapped, by fsid and real number. */
  private readonly unmappable = new Map<string, bigint>();
  private nextUnmappable = 1n;

  /**
   * `devs`: st_dev of the stack's layers, upper first when there is one. `types`: statfs f_type of
   * those and of the data-only layers, which count in the 32-bit decision but not as filesystems
   * (their numbers never show); asked only when the layers span filesystems.
   */
  constructor(devs: readonly number[], hasUpper: boolean, types: () => readonly number[]) {
    // fsid 0 is the upper's filesystem, kept even when there is no upper (ovl_get_fsid).
    let count = 1;
    if (hasUpper && devs.length > 0) this.fsidOfDev.set(devs[0]!, 0);
    this.fsidOfLayer = devs.map((dev) => {
      let fsid = this.fsidOfDev.get(dev);
      if (fsid === undefined) this.fsidOfDev.set(dev, (fsid = count++));
      return fsid;
    });
    if (count - (hasUpper ? 0 : 1) <= 1) {
      this.shift = 0;
      return;
    }
    const ino32 = types().every((type) => INO32_TYPES.has(type));
    const bits = ino32 ? 32 : Math.floor(Math.log2(count - 1)) + 2;
    // One bit below the fsid is the kernel's range for numbers it could not map.
    this.shift = (ino32 ? 64 : 53) - bits + 1;
  }

  /**
   * The map of `stack`'s layers as they are on disk (roots reached by `via` where covered): one
   * stat per layer, and a statfs per layer only where they span filesystems.
   */
  static of(stack: LayerStack): InoMap {
    // stat, not lstat: `via` is a /proc/self/fd link to the layer's root.
    const at = (l: Layer) => l.via ?? l.root;
    const devs = stack.all.map((l) => statSync(at(l)).dev);
    return new InoMap(devs, stack.upper !== null, () => [...stack.all, ...stack.data].map((l) => statfsSync(at(l)).type));
  }

  /** `ino` from `layer`'s filesystem, as the merged object shows it. */
  of(ino: bigint, layer: Layer): bigint {
    return this.shift === 0 ? ino : this.mapped(ino, this.fsidOfLayer[layer.index] ?? 0);
  }

  /** `ino` from the filesystem with st_dev `dev` (a lower origin decoded there). */
  onDev(ino: bigint, dev: number): bigint {
    return this.shift === 0 ? ino : this.mapped(ino, this.fsidOfDev.get(dev) ?? 0);
  }

  private mapped(ino: bigint, fsid: number): bigint {
    if (ino >> BigInt(this.shift - 1) === 0n) return ino | (BigInt(fsid) << BigInt(this.shift));
    const key = `${fsid}:${ino}`;
    let own = this.unmappable.get(key);
    if (own === undefined) {
      own = (1n << BigInt(this.shift - 1)) | this.nextUnmappable++;
      this.unmappable.set(key, own);
    }
    return own;
  }
}
