// What every CLI shares: the version, and one mapping from outcomes to exit codes
// (0 ok, 1 failure, 2 usage) with errors printed as one line on stderr. Commander itself is in
// program.ts: ovl-fuse parses its few options without it (start-up time counts there).
import { readFileSync } from 'node:fs';
import { OvlError, UsageError, oneLine } from '../errors.js';
import { rawArgs } from '../sys/raw-args.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The package version, read once from package.json next to dist/ or src/. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * The `commander.*` code of a CommanderError (or its subclasses), by shape rather than by class,
 * so that recognising one does not load commander.
 */
function commanderCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && code.startsWith('commander.') ? code : undefined;
}

/** The exit code for a thrown value; prints the one-line reason. */
export function exitCodeFor(err: unknown, name: string): number {
  const code = commanderCode(err);
  if (code !== undefined) {
    // commander.help with a non-zero exit code is commander's answer to no command at all, whose help
    // text configureOutput swallows (a review: `ovl-dedup` alone printed nothing and exited 0).
    if (code === 'commander.help' && (err as { exitCode?: number }).exitCode !== 0) {
      process.stderr.write(`${name}: no command given (${name} --help lists them)\n`);
      return EXIT_USAGE;
    }
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return EXIT_OK;
    // Commander's own text may add a line ("(Did you mean --json?)"): a space joins it.
    process.stderr.write(`${name}: ${oneLine((err as Error).message.replace(/^error: /, '').replace(/\n+(?=\()/g, ' '))}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`${name}: ${oneLine(err.message)}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof OvlError) {
    process.stderr.write(`${name}: ${oneLine(err.message)}\n`);
    return EXIT_FAILURE;
  }
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${name}: internal error: ${oneLine(msg.split('\n')[0]!)}\n`);
  if (process.env.OVLKIT_DEBUG) console.error(err);
  return EXIT_FAILURE;
}

/** Run a program's action to completion and exit with the right code. */
export async function runMain(name: string, main: (argv: string[]) => Promise<number | void>): Promise<void> {
  let code: number;
  try {
    code = (await main(rawArgs())) ?? EXIT_OK;
  } catch (err) {
    code = exitCodeFor(err, name);
  }
  process.exitCode = code;
}

/** The honest answer of a command whose issue has not landed yet. */
export function notImplemented(what: string): never {
  throw new UsageError(`${what}: not implemented yet`);
}
