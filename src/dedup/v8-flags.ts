// The V8 flags analyze runs with, set in-process when the command starts: bin/ovl-dedup runs node
// on the bundle directly, and the bench as `node bin/ovl-dedup`, so a node flag would need a
// second process. V8's flags are the process's, so the hash threads started after this get them
// too. Only analyze: convert, migrate and ovl-fuse were not measured with them.
import { setFlagsFromString } from 'node:v8';

/**
 * TurboFan inlines only functions of at most 27 bytes of bytecode (V8's default: 460). analyze
 * runs ~180 functions long enough to be optimised, most once per run of a few seconds, and
 * compiling them was the largest block of its instructions (callgrind of the bench root, all
 * threads: 2.1–2.2 of 9.8–9.95 G, about half of it inlining). No inlining at all compiled as
 * cheaply (1.15–1.24 G) but called small getters such as IdTable.get instead (JIT code +0.3–0.45
 * G); with small ones inlined the run was 0.06–0.13 G lower still (two runs each, beside each other).
 */
export const ANALYZE_V8_FLAGS: readonly string[] = ['--max-inlined-bytecode-size=27'];

/** Set ANALYZE_V8_FLAGS; called before the analysis's code gets hot. */
export function tuneV8ForAnalyze(): void {
  for (const flag of ANALYZE_V8_FLAGS) setFlagsFromString(flag);
}
