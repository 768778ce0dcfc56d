// npm run bench [-- --quick]: ovl-fuse, ovl-dedup and ovl-check measured side by side with the
// tools users would pick instead, interleaved round by round; prints the tables and writes
// reports/bench-<timestamp>.json and .md.
import { Command, CommanderError } from 'commander';
import { exitCodeFor } from '../cli/run.js';
import { UsageError } from '../errors.js';
import { parseOptions, type BenchOptions } from './options.js';
import { runBench } from './run.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('npm run bench --')
    .description('benchmark ovl-fuse, ovl-dedup and ovl-check against kernel overlayfs, fuse-overlayfs, jdupes and rdfind')
    .option('--quick', 'small sizes, one round: a smoke run of a few minutes')
    .option('--size <profile>', 'full | quick | tiny (tiny is for the test suite)')
    .option('--rounds <n>', 'interleaved rounds (default: 3 for full, 1 otherwise)')
    .option('--only <names>', 'comma list of sections (fuse, dedup, check) and/or FUSE workloads (startup, walk, deep, readseq, copyup, create, readdir, untar, client)')
    .option('--ovl-fuse <bin>', 'ovl-fuse to measure (default: this checkout; env OVLKIT_BENCH_OVL_FUSE)')
    .option('--ovl-dedup <bin>', 'ovl-dedup to measure (default: this checkout; env OVLKIT_BENCH_OVL_DEDUP)')
    .option('--ovl-check <bin>', 'ovl-check to measure (default: this checkout; env OVLKIT_BENCH_OVL_CHECK)')
    .option('--strict', 'exit 1 when any value FAILed its check (default: FAILs are reported, exit 0)')
    .option('--no-drop-caches', 'cold steps only remount, without dropping the page cache (shared machines)')
    .option('--reports <dir>', 'where bench-<timestamp>.json/.md go (default: reports/ of this checkout)')
    .option('--data-dir <dir>', 'generated lowers and run dirs (default /tmp/ovlkit-bench)')
    .option('--cache-dir <dir>', 'big random file, tarballs, dedup tree (default /tmp/ovlkit-bench-cache)')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  program.parse(argv, { from: 'user' });
  const opts: BenchOptions = parseOptions(program.opts(), process.env);
  if (process.getuid?.() !== 0) throw new UsageError('npm run bench needs root (mounts, drop_caches)');
  const { failed } = await runBench(opts);
  return failed && opts.strict ? 1 : 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof CommanderError && err.code === 'commander.helpDisplayed') process.exitCode = 0;
  else process.exitCode = exitCodeFor(err, 'bench');
}
