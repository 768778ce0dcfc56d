// ovl-dedup: analyse Docker's overlay/overlay2 stores and convert legacy chains.
// Argument parsing and exit codes only; the work is in src/dedup.
import { analyzeCommand } from '../dedup/analyze-cmd.js';
import { convertCommand, type ConvertOptions } from '../dedup/convert-cmd.js';
import { migrateCommand, type MigrateCliOptions } from '../dedup/migrate-cmd.js';
import { ttyProgress } from '../dedup/progress.js';
import { terminalWidth } from '../dedup/text-table.js';
import { tuneV8ForAnalyze } from '../dedup/v8-flags.js';
import { newProgram } from './program.js';
import { EXIT_FAILURE, runMain } from './run.js';

interface AnalyzeFlags {
  json?: string;
  ci?: boolean;
  maxWastedBytes?: string;
  minEfficiency?: string;
  maxDuplicateBytes?: string;
  binary?: boolean;
  html?: string;
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = newProgram('ovl-dedup', 'measure and remove the cost of chained (legacy overlay) Docker layers');
  program
    .command('analyze')
    .description('report inodes and disk per layer, image and root, against an overlay2-style stack')
    .argument('[data-root]', 'Docker data root or containers-storage root', '/var/lib/docker')
    .option('--json <file>', "write the full report as JSON to FILE ('-' for stdout, tables suppressed)")
    .option('--ci', 'evaluate the thresholds below; exit 1 when one fails')
    .option('--max-wasted-bytes <size>', 'CI rule: dive-style wasted bytes at most SIZE (e.g. 20MB)')
    .option('--min-efficiency <ratio>', 'CI rule: every image at least this dive efficiency (0..1)')
    .option('--max-duplicate-bytes <size>', 'CI rule: redundant duplicate content at most SIZE')
    .option('--html <file>', 'also write the report as one self-contained HTML page (charts, sortable tables, the JSON)')
    .option('--binary', 'sizes in KiB/MiB/GiB (powers of 1024, as du -h) instead of kB/MB/GB (as docker)')
    .action(async (root: string, flags: AnalyzeFlags) => {
      tuneV8ForAnalyze();
      const io = { stdout: process.stdout, stderr: process.stderr, progress: ttyProgress(process.stderr), width: terminalWidth(process.stdout) };
      const { rules } = await analyzeCommand(root, flags, io);
      if (rules.some((r) => !r.pass)) code = EXIT_FAILURE;
    });
  program
    .command('convert')
    .description('write overlay2-style multi-lower stacks for legacy chains')
    .argument('<data-root>', 'Docker data root')
    .requiredOption('--out <dir>', 'output directory (outside the data root)')
    .option('--image <ref...>', 'only these images (repo:tag or ID prefix); default: all listed images')
    .option('--verify', 'mount every converted stack read-only and compare it with the legacy root')
    .option('--verify-with <engine>', 'kernel (default) or fuse; implies --verify')
    .option('--json <file>', "also write the result (layers, lowerdir strings, estimate, measured, verification) as JSON ('-': stdout, text suppressed)")
    .action(async (root: string, flags: ConvertOptions) => {
      const { verified } = await convertCommand(root, flags, { stdout: process.stdout, stderr: process.stderr });
      if (verified.some((v) => !v.identical)) code = EXIT_FAILURE;
    });
  program
    .command('migrate')
    .description('turn a legacy overlay data root into an overlay2 one (dockerd stopped)')
    .argument('<data-root>', 'Docker data root with a legacy overlay store')
    .option('--out <new-root>', 'write a new data root there (empty or absent, outside DATA_ROOT)')
    .option('--in-place', 'add overlay2/ and image/overlay2/ to DATA_ROOT itself')
    .option('--dry-run', 'print the plan (layers, containers, new inodes and bytes) and change nothing')
    .option('--remove-legacy', 'with --in-place: remove overlay/ and image/overlay/ once the new layout is verified')
    .option('--json <file>', "also write the plan and result as JSON ('-': stdout, text suppressed)")
    .action(async (root: string, flags: MigrateCliOptions) => {
      await migrateCommand(root, flags, { stdout: process.stdout, stderr: process.stderr });
    });
  await program.parseAsync(argv, { from: 'user' });
  return code;
}

await runMain('ovl-dedup', main);
