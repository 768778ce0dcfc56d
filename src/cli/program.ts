// The commander program ovl-check and ovl-dedup build their commands on (ovl-fuse does without:
// see run.ts). Parse errors become usage errors (exit 2, run.ts) instead of commander's exit 1.
import { Command } from 'commander';
import { packageVersion } from './run.js';

/** A commander program whose parse errors become UsageError (exit 2) instead of commander's exit 1. */
export function newProgram(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .showHelpAfterError(false);
}
