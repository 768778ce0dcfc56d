// ovl-fuse: mount a FUSE overlay with the kernel's option syntax.
//   ovl-fuse -o lowerdir=A:B,upperdir=U,workdir=W MERGED
import { parseMountOptions, resolveMountOptions } from '../format/index.js';
import { newProgram, notImplemented, runMain } from './run.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export async function main(argv: string[]): Promise<number> {
  const program = newProgram('ovl-fuse', 'FUSE overlay filesystem that behaves like kernel overlayfs')
    .option('-o, --options <opts>', 'mount options, as for mount -t overlay (repeatable)', collect, [])
    .option('-f, --foreground', 'stay in the foreground')
    .argument('<merged>', 'mount point');
  program.parse(argv, { from: 'user' });
  const opts = program.opts<{ options: string[] }>();
  // Validate now, so a bad option is a usage error even before the FUSE overlay exists.
  resolveMountOptions(parseMountOptions(opts.options.join(',')));
  return notImplemented('ovl-fuse mount');
}

await runMain('ovl-fuse', main);
