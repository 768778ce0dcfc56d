// ovl-check: property-based conformance of an overlay implementation against kernel overlayfs.
import { newProgram, notImplemented, runMain } from './run.js';

export async function main(argv: string[]): Promise<number> {
  const program = newProgram('ovl-check', 'run generated overlay scenarios on kernel overlayfs and a FUSE overlay, and diff them');
  program
    .command('run')
    .description('run conformance suites')
    .option('--target <target>', 'kernel | fuse | exec:CMD', 'kernel')
    .action(() => notImplemented('ovl-check run'));
  await program.parseAsync(argv, { from: 'user' });
  return 0;
}

await runMain('ovl-check', main);
