// The V8 flags the daemon runs with, set process-wide by bin/ovl-fuse's entry (ovl-fuse-boot.ts)
// before the session worker or any cached code exists, and by scripts/bundle.mjs before it makes
// the code caches: V8 accepts a cache only from a process with the same flags, so both must set
// exactly these (the startup marks say when a cache was refused; test/fuse/code-cache.test.ts).
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
