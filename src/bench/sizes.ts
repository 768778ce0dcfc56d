// Workload sizes per profile. `full` matches the perf anchors (../shared/spec/perf-anchors.md) so
// numbers are comparable; `quick` is a smoke run of a few minutes; `tiny` exists for the test suite.

export type Profile = 'full' | 'quick' | 'tiny';

export interface Sizes {
  rounds: number;
  /** files of the walk tree (in 20 × 20 dirs) */
  walkFiles: number;
  /** mounts timed by the startup workload (median reported) */
  startupReps: number;
  /** lower counts of the deep stacks; the same tree with file k in lower k % L */
  deepLayers: number[];
  /** passes of each "warm" measurement; the median is reported */
  warmReps: number;
  readMiB: number;
  /**
   * readseq: each warm sample reads the file whole, again and again, until this much time has
   * passed (the throughput is over all of it); the median of `warmReps` samples is reported.
   */
  readWarmMs: number;
  copyupFiles: number;
  copyupBytes: number;
  createFiles: number;
  createBytes: number;
  readdirVisible: number;
  readdirHidden: number;
  untarSource: string;
  /** the client workload's lower: this tree (as a tarball extracts it) and a C project of this many files */
  clientSource: string;
  clientProgs: number;
  /** entries of the generated Docker overlay2 root for the dedup scan */
  dedupEntries: number;
  dedupLayers: number;
  /**
   * ovl-check --suite and --runs (scenarios per suite). One per suite: fast-check stops a suite at
   * its first divergence, so a larger budget would make a diverging pair's speed not comparable.
   */
  checkSuite: string;
  checkRuns: number;
  /** limit for any one timed step */
  stepTimeoutMs: number;
}

const FULL: Sizes = {
  rounds: 3,
  walkFiles: 20000,
  startupReps: 20,
  deepLayers: [1, 16, 128, 500],
  warmReps: 3,
  readMiB: 512,
  readWarmMs: 1000,
  copyupFiles: 200,
  copyupBytes: 1 << 20,
  createFiles: 5000,
  createBytes: 4096,
  readdirVisible: 10000,
  readdirHidden: 1000,
  untarSource: '/usr/include',
  clientSource: '/usr/include/linux',
  clientProgs: 120,
  dedupEntries: 120000,
  dedupLayers: 12,
  checkSuite: 'all',
  checkRuns: 1,
  stepTimeoutMs: 240_000,
};

const QUICK: Sizes = {
  rounds: 1,
  walkFiles: 4000,
  startupReps: 10,
  deepLayers: [1, 500],
  warmReps: 2,
  readMiB: 64,
  readWarmMs: 500,
  copyupFiles: 40,
  copyupBytes: 1 << 20,
  createFiles: 1000,
  createBytes: 4096,
  readdirVisible: 2000,
  readdirHidden: 200,
  untarSource: '/usr/include/linux',
  clientSource: '/usr/include/linux/netfilter',
  clientProgs: 40,
  dedupEntries: 100000,
  dedupLayers: 8,
  checkSuite: 'all',
  checkRuns: 1,
  stepTimeoutMs: 60_000,
};

const TINY: Sizes = {
  rounds: 1,
  walkFiles: 400,
  startupReps: 3,
  deepLayers: [1, 8],
  warmReps: 1,
  readMiB: 2,
  readWarmMs: 0,
  copyupFiles: 5,
  copyupBytes: 64 << 10,
  createFiles: 50,
  createBytes: 4096,
  readdirVisible: 200,
  readdirHidden: 20,
  untarSource: '/usr/include/linux/netfilter',
  clientSource: '/usr/include/linux/netfilter',
  clientProgs: 6,
  dedupEntries: 3000,
  dedupLayers: 3,
  checkSuite: 'basic',
  checkRuns: 1,
  stepTimeoutMs: 30_000,
};

export const PROFILES: Record<Profile, Sizes> = { full: FULL, quick: QUICK, tiny: TINY };

export function isProfile(s: string): s is Profile {
  return s in PROFILES;
}
