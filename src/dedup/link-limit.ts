// The hard-link limit of the filesystem a store lives on: every legacy layer adds one link to each
// unchanged file, so deep chains hit it (EMLINK, "too many links"). statfs f_type → the kernel's
// limit for that filesystem; null when unknown.
import { statfsSync } from '../sys/fs-bytes.js';

const LINK_MAX_BY_MAGIC: Record<number, number> = {
  0xef53: 65000, // ext2/3/4 (EXT4_LINK_MAX)
  0x58465342: 2147483647, // xfs
  0x9123683e: 65535, // btrfs
  0x01021994: 4294967295, // tmpfs
  0x2fc12fc1: 2147483647, // zfs
};

export function linkLimitOf(path: string): number | null {
  try {
    return LINK_MAX_BY_MAGIC[statfsSync(path).type] ?? null;
  } catch {
    return null;
  }
}
