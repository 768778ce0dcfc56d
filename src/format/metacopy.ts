// The `metacopy` xattr: a regular file whose upper (or middle-layer) copy holds its metadata only,
// its data staying in a lower file found below it by name or by the file's `redirect`.
//
// Value (the kernel's struct ovl_metacopy): empty (what the kernel writes without fs-verity, and
// the only form before 6.5), or a header `version len flags digest_algo` of 4 bytes followed by an
// fs-verity digest. A lookup (ovl_check_metacopy_xattr without a buffer) only measures the value:
// 1 to 3 bytes are EIO ("too small xattr"), 4 or more are a metacopy file whatever they hold; the
// header is checked only where verity validates the digest at open (checked on 6.18).

/** OVL_METACOPY_MIN_SIZE: the header alone. */
export const METACOPY_MIN_SIZE = 4;

export interface MetacopyValue {
  /** fs-verity digest of the data file (verity=on/require check it), null when none is stored. */
  digest: Buffer | null;
  digestAlgo: number;
  flags: number;
}

/** The value written for a metadata-only copy without fs-verity: empty, as the kernel writes it. */
export const METACOPY_PLAIN = Buffer.alloc(0);

/**
 * A `metacopy` value as a lookup reads it; null for one the kernel refuses (EIO). The digest is
 * whatever follows the header: only verity, which ovl-fuse does not offer, would check it.
 */
export function parseMetacopy(value: Buffer): MetacopyValue | null {
  if (value.length === 0) return { digest: null, digestAlgo: 0, flags: 0 };
  if (value.length < METACOPY_MIN_SIZE) return null;
  const digest = value.length > METACOPY_MIN_SIZE ? Buffer.from(value.subarray(METACOPY_MIN_SIZE)) : null;
  return { digest, digestAlgo: value[3]!, flags: value[2]! };
}
