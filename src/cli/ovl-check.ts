// ovl-check: property-based conformance of an overlay implementation against kernel overlayfs.
// Argument parsing and exit codes only; the work is src/conformance/check.ts.
import { type Command, InvalidArgumentError } from 'commander';
import { UsageError } from '../errors.js';
import { runCheck, shellQuote } from '../conformance/check.js';
import { installSignalCleanup } from '../conformance/cleanup.js';
import { MAX_DIVERGENCES } from '../conformance/generated.js';
import { keepDivergence } from '../conformance/keep.js';
import { shrinkText } from '../conformance/report/model.js';
import { ProgressLine, renderTable } from '../conformance/report/table.js';
import { loadSuite, suiteNames } from '../conformance/suite.js';
import { newProgram } from './program.js';
import { EXIT_OK, runMain } from './run.js';

function integer(name: string, min: number, max?: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^-?\d+$/.test(v) || n < min || (max !== undefined && n > max)) {
      throw new InvalidArgumentError(max === undefined ? `${name} must be an integer >= ${min}` : `${name} must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

export async function main(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  const program = newProgram('ovl-check', 'run generated overlay scenarios on kernel overlayfs and another overlay, and diff them');
  program
    .command('run')
    .description('run conformance suites; exit 1 on an unexpected divergence')
    .option('--target <target>', "kernel | fuse | exec:'MOUNT CMD with {lowerdir} {upperdir} {workdir} {merged} [{options}]' (default: kernel; with --replay the divergence's own)")
    .option('--suite <names>', 'suite name, comma list, or all', 'all')
    // fast-check keeps a seed's low 32 bits (readSeed: seed | 0): 2**31 would silently run -2**31's scenarios.
    .option('--seed <n>', 'fast-check seed (default: from the clock, printed)', integer('--seed', -(2 ** 31), 2 ** 31 - 1))
    .option('--runs <n>', "scenarios per suite (default: the suite's own)", integer('--runs', 1))
    .option('--test-budget', "use each suite's small fixed budget (what npm test runs)")
    .option('--replay <file>', 'run one saved divergence (divergence-*.json) again')
    .option('--reference <file>', 'compare against recorded kernel traces (traces.json of a --target kernel run)')
    .option('--divergences <file>', 'accepted divergences (default suites/divergences.json)')
    .option('--out <dir>', 'where report dirs go', 'reports')
    // Node's timers hold at most 2^31 - 1 ms; a longer one fires after 1 ms (a review saw a large
    // --timeout turn every op into ETIMEDOUT).
    .option('--timeout <ms>', 'deadline per operation, mount and tree walk', integer('--timeout', 100, 2 ** 31 - 1), 10_000)
    .option('--shrink-time <s>', 'stop shrinking a divergence after this many seconds (keep the smallest so far)', integer('--shrink-time', 1), 60)
    .option('--max-divergences <n>', 'distinct divergences (by category) to shrink and keep per generated suite', integer('--max-divergences', 1), MAX_DIVERGENCES)
    .action(async (opts, cmd: Command) => {
      installSignalCleanup('ovl-check');
      // A replayed divergence brings its suite, run and seed; these options would be ignored, and
      // a user who gave one expects it to count (a review: `--replay F --suite rename` ran F's suite).
      const given = (o: string) => cmd.getOptionValueSource(o) === 'cli';
      if (opts.replay) {
        const ignored = (['suite', 'seed', 'runs', 'testBudget', 'maxDivergences', 'shrinkTime'] as const).filter(given);
        if (ignored.length) throw new UsageError(`--replay runs the one scenario the divergence file holds: ${ignored.map((o) => `--${o.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} cannot be combined with it`);
      }
      const seed: number = opts.seed ?? (Date.now() % 2 ** 31);
      const progress = new ProgressLine();
      const r = await runCheck({
        target: opts.target,
        suites: opts.suite,
        seed,
        runs: opts.runs,
        testBudget: !!opts.testBudget,
        replay: opts.replay,
        reference: opts.reference,
        divergences: opts.divergences,
        out: opts.out,
        timeoutMs: opts.timeout,
        shrinkBudgetMs: opts.shrinkTime * 1000,
        maxDivergences: opts.maxDivergences,
        command: ['ovl-check', ...argv.map(shellQuote)].join(' ') + (opts.seed === undefined ? ` --seed ${seed}` : ''),
        onProgress: (p) => progress.update(p),
        onSuiteDone: (s) => {
          progress.done();
          if (!process.stderr.isTTY) {
            const n = (st: string) => s.results.filter((x) => x.status === st).length;
            process.stderr.write(`[${s.suite}] ${s.results.length} scenarios: pass=${n('pass') + n('recorded')} accepted=${n('accepted')} unexpected=${n('diverged')}\n`);
          }
        },
      });
      progress.done();
      process.stdout.write(renderTable(r.model) + '\n');
      for (const u of r.model.unexpected) {
        process.stdout.write(`unexpected divergence ${u.id}: ${shrinkText(u)}; replay: ${u.replay}\n`);
      }
      process.stdout.write(`seed ${seed}; report: ${r.dir}/report.md\n`);
      code = r.exitCode;
    });
  program
    .command('keep <divergence>')
    .description('add the minimal scenario of a saved divergence to the regression corpus (suite "regressions")')
    .option('--id <id>', 'case id (default <suite>-<seed>-run<N>)')
    .option('--title <text>', 'one line saying what the case shows')
    .option('--corpus <file>', 'corpus file (default suites/corpus/regressions.json)')
    .action((file: string, opts: { id?: string; title?: string; corpus?: string }) => {
      const c = keepDivergence(file, { id: opts.id, title: opts.title, corpusFile: opts.corpus });
      process.stdout.write(`kept ${c.id}: ${c.title}\n`);
    });
  program
    .command('list')
    .description('list the named suites')
    .action(() => {
      for (const n of suiteNames()) process.stdout.write(`${n.padEnd(20)} ${loadSuite(n).description}\n`);
    });
  await program.parseAsync(argv, { from: 'user' });
  return code;
}

await runMain('ovl-check', main);
