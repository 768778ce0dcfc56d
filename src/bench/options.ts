// The bench's command line and environment → one plain options object (validated here, so a bad
// value is a usage error before anything is generated or mounted).
import { UsageError } from '../errors.js';
import { PROFILES, type Profile, type Sizes, isProfile } from './sizes.js';

export const SECTIONS = ['fuse', 'dedup', 'check'] as const;
export const FUSE_WORKLOADS = ['startup', 'walk', 'deep', 'readseq', 'copyup', 'create', 'readdir', 'untar', 'client'] as const;

export interface BenchOptions {
  profile: Profile;
  sizes: Sizes;
  sections: string[];
  workloads: string[];
  bins: { 'ovl-fuse'?: string; 'ovl-dedup'?: string; 'ovl-check'?: string };
  reportsDir: string;
  dataDir: string;
  cacheDir: string;
  strict: boolean;
  dropCaches: boolean;
}

interface Raw {
  quick?: boolean;
  size?: string;
  rounds?: string;
  only?: string;
  ovlFuse?: string;
  ovlDedup?: string;
  ovlCheck?: string;
  reports?: string;
  dataDir?: string;
  cacheDir?: string;
  strict?: boolean;
  dropCaches?: boolean;
}

function profileOf(raw: Raw, env: NodeJS.ProcessEnv): Profile {
  const p = raw.size ?? env.OVLKIT_BENCH_SIZE ?? (raw.quick ? 'quick' : 'full');
  if (!isProfile(p)) throw new UsageError(`bad --size ${p}: expected full, quick or tiny`);
  if (raw.quick && raw.size && raw.size !== 'quick') throw new UsageError(`--quick conflicts with --size ${raw.size}`);
  return p;
}

function selection(only: string | undefined): { sections: string[]; workloads: string[] } {
  if (only === undefined) return { sections: [...SECTIONS], workloads: [...FUSE_WORKLOADS] };
  const names = only.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const n of names) {
    if (!(SECTIONS as readonly string[]).includes(n) && !(FUSE_WORKLOADS as readonly string[]).includes(n)) {
      throw new UsageError(`bad --only ${n}: expected ${[...SECTIONS, ...FUSE_WORKLOADS].join(', ')}`);
    }
  }
  const workloads = names.filter((n) => (FUSE_WORKLOADS as readonly string[]).includes(n));
  const sections = names.filter((n) => (SECTIONS as readonly string[]).includes(n));
  if (workloads.length > 0 && !sections.includes('fuse')) sections.unshift('fuse');
  return { sections, workloads: workloads.length > 0 ? workloads : [...FUSE_WORKLOADS] };
}

export function parseOptions(raw: Raw, env: NodeJS.ProcessEnv): BenchOptions {
  const profile = profileOf(raw, env);
  const sizes = { ...PROFILES[profile] };
  if (raw.rounds !== undefined) {
    const n = Number(raw.rounds);
    if (!Number.isInteger(n) || n < 1 || n > 50) throw new UsageError(`bad --rounds ${raw.rounds}: expected an integer 1..50`);
    sizes.rounds = n;
  }
  const bins: BenchOptions['bins'] = {};
  const fuse = raw.ovlFuse ?? env.OVLKIT_BENCH_OVL_FUSE;
  const dedup = raw.ovlDedup ?? env.OVLKIT_BENCH_OVL_DEDUP;
  const check = raw.ovlCheck ?? env.OVLKIT_BENCH_OVL_CHECK;
  if (fuse) bins['ovl-fuse'] = fuse;
  if (dedup) bins['ovl-dedup'] = dedup;
  if (check) bins['ovl-check'] = check;
  return {
    profile,
    sizes,
    ...selection(raw.only),
    bins,
    reportsDir: raw.reports ?? new URL('../../reports', import.meta.url).pathname,
    dataDir: raw.dataDir ?? '/tmp/ovlkit-bench',
    cacheDir: raw.cacheDir ?? '/tmp/ovlkit-bench-cache',
    strict: raw.strict ?? false,
    dropCaches: raw.dropCaches ?? true,
  };
}
