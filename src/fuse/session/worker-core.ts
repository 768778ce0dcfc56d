// What the session worker loads for a mount of this program, as one entry: scripts/bundle.mjs
// bundles it as one CommonJS file with a V8 code cache beside it (code-cache.ts), which loads
// faster than the same modules as ES chunks. worker.ts falls back to importing them one by one
// when the bundle is not there (running from the sources) or the mount asks for another filesystem.
export { DevSession } from './dev-session.js';
export { runLoop } from './loop.js';
export * as watchStart from '../watch-start.js';
