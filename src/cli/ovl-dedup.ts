// ovl-dedup: analyse Docker's overlay/overlay2 stores and convert legacy chains.
import { newProgram, notImplemented, runMain } from './run.js';

export async function main(argv: string[]): Promise<number> {
  const program = newProgram('ovl-dedup', 'measure and remove the cost of chained (legacy overlay) Docker layers');
  program
    .command('analyze')
    .description('report inodes and disk per layer, image and root, against an overlay2-style stack')
    .argument('[data-root]', 'Docker data root', '/var/lib/docker')
    .action(() => notImplemented('ovl-dedup analyze'));
  program
    .command('convert')
    .description('write overlay2-style multi-lower stacks for legacy chains')
    .argument('<data-root>', 'Docker data root')
    .requiredOption('--out <dir>', 'output directory (outside the data root)')
    .action(() => notImplemented('ovl-dedup convert'));
  await program.parseAsync(argv, { from: 'user' });
  return 0;
}

await runMain('ovl-dedup', main);
