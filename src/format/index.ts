// The overlay on-disk format, in one pure module: no I/O here, only names, values and rules.
export * from './xattr-names.js';
export * from './whiteout.js';
export * from './markers.js';
export * from './origin.js';
export * from './mount-options.js';
export * from './mount-config.js';
export * from './uuid.js';
export * from './posix-acl.js';
export * from './metacopy.js';
