// The V8 flags the daemon serves with, set process-wide by the bundled session worker once its core
// is loaded (worker-boot.ts). Not sooner: V8 accepts a code cache only from a process with the
// flags it was made with, and node's own cache of its built-in modules is made with the defaults.
// Set in bin/ovl-fuse's entry, every module node loaded after it compiled from source: the worker's
// boot took 53 instead of 33 ms of CPU. (The startup marks say when one of our caches was refused;
// test/fuse/code-cache.test.ts.)
import { setFlagsFromString } from 'node:v8';

/**
 * Why: most of a mount's life is short (a test, a build, the bench's 5,000 creates or 200
 * copy-ups), and TurboFan's compiling was a fixed cost there of ~240 ms of CPU for 5,000 creates
 * (--trace-opt), on a helper thread beside the client. Without inlining each optimised function is
 * a smaller graph: 121-129 ms for the same creates (more functions optimised, each alone), while
 * the code it makes costs +2.7 % of the daemon's instructions once everything is optimised
 * (callgrind, 2,000 creates after 15,000), where requests are mostly system calls anyway.
 */
export const DAEMON_V8_FLAGS = '--no-turbo-inlining';

/** Set DAEMON_V8_FLAGS for this process (every thread, every isolate made from now on). */
export function useDaemonV8Flags(): void {
  setFlagsFromString(DAEMON_V8_FLAGS);
}
