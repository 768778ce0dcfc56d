// What the session worker loads for a mount of this program, as one entry: scripts/bundle.mjs
// bundles it as one CommonJS file with a V8 code cache beside it (code-cache.ts), which
// worker-boot.ts loads faster than the same modules as ES chunks.
export { DevSession } from './dev-session.js';
export { runLoop } from './loop.js';
export { serveSession } from './worker-serve.js';
export * as watchStart from '../watch-start.js';
