// How an ovl-fuse mount names itself, on either transport: the FUSE subtype, which mountinfo
// shows as the type `fuse.ovl-fuse` (what `ovl-fuse umount` checks before it unmounts anything).
export const MOUNT_SUBTYPE = 'ovl-fuse';
export const MOUNT_FSTYPE = `fuse.${MOUNT_SUBTYPE}`;
