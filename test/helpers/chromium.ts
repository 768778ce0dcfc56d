// Opening a report page in headless Chromium the way a user's browser would: scripts run, then we
// read back the DOM, every console message, and a screenshot. No network: the pages are
// self-contained and Chromium runs with background networking off, on a private profile dir.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';

export interface Rendered {
  /** the DOM after the page's scripts ran */
  dom: string;
  /** console messages and uncaught errors (our pages print none) */
  console: string[];
  /** path of the PNG screenshot */
  png: string;
}

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--mute-audio'];

export async function chromiumMissing(): Promise<string | false> {
  const r = await execa('chromium', ['--version'], { reject: false });
  return r.exitCode === 0 ? false : 'chromium is not installed (scripts/setup.sh installs it)';
}

/** Render `file` (an absolute path) at 1400×2000 into `dir`; the profile dirs are removed afterwards. */
export async function renderPage(file: string, dir: string, name = 'page'): Promise<Rendered> {
  const profile = mkdtempSync(join(dir, 'chromium-'));
  try {
    const url = `file://${file}`;
    const dumped = await execa('chromium', [...FLAGS, `--user-data-dir=${profile}/a`, '--enable-logging=stderr', '--v=0', '--dump-dom', url], { timeout: 180_000 });
    const console = dumped.stderr.split('\n').filter((l) => /:CONSOLE[:(]/.test(l));
    const png = join(dir, `${name}.png`);
    await execa('chromium', [...FLAGS, `--user-data-dir=${profile}/b`, `--screenshot=${png}`, '--window-size=1400,2000', url], { timeout: 180_000 });
    if (statSync(png).size === 0) throw new Error(`empty screenshot ${png}`);
    return { dom: dumped.stdout, console, png };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** How many times `needle` occurs in `hay`. */
export function occurrences(hay: string, needle: string): number {
  return hay.split(needle).length - 1;
}
