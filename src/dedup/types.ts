// The plain data that flows through the ovl-dedup pipeline:
// discover (data root → stores, images, layers) → scan (layer dirs → entries) → analyse → render/convert.
// No behaviour here, only shapes, so every stage can be tested on hand-made values.

export type Driver = 'overlay' | 'overlay2' | 'containers-storage';

export type EntryType = 'file' | 'dir' | 'symlink' | 'fifo' | 'char' | 'block' | 'socket';

/** One directory entry of a layer, as lstat and l*xattr see it. */
export interface Entry {
  /** relative to the layer's top dir, '/'-separated, no leading slash; '' for the top dir itself */
  path: string;
  type: EntryType;
  /** permission bits including setuid/setgid/sticky (st_mode & 07777) */
  perm: number;
  uid: number;
  gid: number;
  size: number;
  /** st_blocks (512-byte units) */
  blocks: number;
  /** `${st_dev}:${st_ino}`: identity of the inode across all layers of one root */
  inode: string;
  /** the same identity as a dense number (`INODE_IDS`): what the analysis keys its sets and maps by */
  id: number;
  nlink: number;
  mtimeNs: bigint;
  atimeNs: bigint;
  rdev: number;
  /** symlink target, '' for other types */
  target: string;
  /** xattr name → value, sorted by name; empty when none (or, for regular files, when the scan skipped them) */
  xattrs: Array<[string, Buffer]>;
}

/** A scanned layer directory (legacy `root/`, overlay2 `diff/`, container `upper/`). */
export interface LayerScan {
  dir: string;
  top: Entry;
  /** all entries below the top dir, sorted by path */
  entries: Entry[];
}

export type LayerRole = 'image' | 'init' | 'container';

/** A layer as the data root's metadata describes it. */
export interface LayerRef {
  /** driver directory name under <root>/<driver>/ */
  cacheId: string;
  /** layerdb chain ID (sha256:…); '' for container layers */
  chainId: string;
  /** sha256:… diff ID; '' for container layers */
  diffId: string;
  /** layerdb `size` (tar content bytes, as docker system df adds up); 0 when unknown */
  size: number;
  role: LayerRole;
  /** absolute path of the layer's data dir (root/, diff/ or upper/) */
  dir: string;
  /** cacheId of the layer below, '' for a base layer */
  parent: string;
}

export interface ImageRef {
  /** repo:tag names, or ['<none>'] for a dangling image */
  names: string[];
  /** sha256:… image ID */
  id: string;
  /** cache IDs bottom → top */
  layers: string[];
}

export interface ContainerRef {
  id: string;
  /** cache IDs of the -init layer (may be '') and the RW layer */
  initLayer: string;
  rwLayer: string;
  /** cache ID of the image's top layer */
  imageTop: string;
}

export interface Warning {
  path: string;
  reason: string;
}

/** One store (driver) of a data root, fully resolved. */
export interface Store {
  driver: Driver;
  /** the driver's directory, e.g. /var/lib/docker/overlay2 */
  path: string;
  layers: Map<string, LayerRef>;
  images: ImageRef[];
  containers: ContainerRef[];
  /** driver dirs no image or container references */
  orphans: string[];
  /** hard-link limit of the filesystem holding the store (EMLINK risk), null when unknown */
  linkLimit: number | null;
}

export interface Discovery {
  root: string;
  stores: Store[];
  warnings: Warning[];
}

/** The four (five) numbers the JSON contract uses everywhere. */
export interface Counts {
  entries: number;
  inodes: number;
  regularBytes: number;
  diskBytes: number;
  maxLinks: number;
}

/** One change of a layer relative to the layers below it, as an overlay2-style diff holds it. */
export interface DiffItem {
  path: string;
  whiteout: boolean;
  /**
   * The entry to write or that is on disk: the legacy root's entry for a computed diff, the diff's
   * own entry for an overlay2 diff; null for a computed whiteout (it has no inode yet).
   */
  entry: Entry | null;
  /** the directory hides the same path in the layers below */
  opaque: boolean;
  reason: 'added' | 'modified' | 'metadata' | 'parent' | 'deleted';
}

/** A layer as a diff (overlay2 `diff/`, or computed from a legacy chain). */
export interface LayerDiff {
  cacheId: string;
  items: DiffItem[];
}
