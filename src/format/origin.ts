// The kernel's `origin` xattr: a binary `struct ovl_fb` file handle of the lower object an upper
// object was copied up from. Only its header matters to us; the fid is opaque.

const OVL_FH_VERSION = 0;
const OVL_FH_MAGIC = 0xfb;
/** version, magic, len, flags, type (one byte each), then the 16-byte uuid. */
const OVL_FB_HEADER = 5 + 16;

export interface OriginHandle {
  flags: number;
  type: number;
  uuid: Buffer;
  fid: Buffer;
}

/**
 * Decode an origin value. An empty value means "copied up, origin unknown" and decodes as
 * 'unknown'; anything malformed is null (the kernel ignores it).
 */
export function parseOrigin(value: Buffer): OriginHandle | 'unknown' | null {
  if (value.length === 0) return 'unknown';
  if (value.length < OVL_FB_HEADER + 1) return null;
  const [version, magic, len, flags, type] = [value[0]!, value[1]!, value[2]!, value[3]!, value[4]!];
  if (version !== OVL_FH_VERSION || magic !== OVL_FH_MAGIC || len !== value.length) return null;
  return { flags, type, uuid: value.subarray(5, OVL_FB_HEADER), fid: value.subarray(OVL_FB_HEADER) };
}
