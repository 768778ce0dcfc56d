// The V8 flags analyze runs with, set in-process when the command starts: bin/ovl-dedup runs node
// on the bundle directly, and the bench as `node bin/ovl-dedup`, so a node flag would need a
// second process. V8's flags are the process's, so the hash threads started after this get them
// too. Only analyze: convert, migrate and ovl-fuse were not measured with them.
import { setFlagsFromString } from 'node:v8';

/**
 * No inlining in TurboFan. analyze runs ~180 functions long enough to be optimised, most of them
 * once per run of a few seconds, and compiling them was the largest block of its instructions
 * (callgrind of the bench root, all threads: 2.2 of 9.9 G, ~1 G of it from inlining); without
 * inlining the compiled code runs a little slower (+0.4 G) and the compiles cost half.
 */
export const ANALYZE_V8_FLAGS: readonly string[] = ['--no-turbo-inlining'];

/** Set ANALYZE_V8_FLAGS; called before the analysis's code gets hot. */
export function tuneV8ForAnalyze(): void {
  for (const flag of ANALYZE_V8_FLAGS) setFlagsFromString(flag);
}
