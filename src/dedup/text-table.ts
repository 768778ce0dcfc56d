// Plain column tables for the terminal, the way docker prints them (no box, two spaces between
// columns), fitted to the terminal width: when a table is too wide its flexible column (paths,
// names) is shortened, keeping the end of each cell, which is the informative part of a path.
import { createRequire } from 'node:module';
import type CliTable3 from 'cli-table3';

export interface Column {
  head: string;
  right?: boolean;
  /** may be shortened with '…' to fit the width */
  flex?: boolean;
  /** which end of a shortened cell stays: 'end' (default, paths) or 'start' (lists of names) */
  keep?: 'start' | 'end';
}

const GAP = '  ';
const MIN_FLEX = 12;

function shorten(cell: string, width: number, keep: 'start' | 'end' = 'end'): string {
  if (cell.length <= width) return cell;
  return keep === 'end' ? `…${cell.slice(cell.length - width + 1)}` : `${cell.slice(0, width - 1)}…`;
}

/** `text` wrapped at spaces to `width` columns, continuation lines indented by `indent`. */
export function wrap(text: string, width: number, indent = '  '): string {
  const lines: string[] = [];
  const lead = /^ */.exec(text)![0];
  let line = '';
  for (const word of text.trimStart().split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else line = line ? `${line} ${word}` : lead + word;
  }
  return [...lines, line].join('\n');
}

function pad(cell: string, width: number, right: boolean | undefined): string {
  return right ? cell.padStart(width) : cell.padEnd(width);
}

/** The table as text lines (trailing spaces trimmed), no wider than `width` if its flex columns allow. A head may hold '\n'. */
export function textTable(columns: Column[], rows: string[][], width: number): string {
  const heads = columns.map((c) => c.head.split('\n'));
  const widths = columns.map((_, i) => Math.max(...heads[i]!.map((h) => h.length), ...rows.map((r) => (r[i] ?? '').length)));
  const total = (): number => widths.reduce((a, b) => a + b, 0) + GAP.length * (columns.length - 1);
  const flex = columns.map((c, i) => (c.flex ? i : -1)).filter((i) => i >= 0);
  for (let over = total() - width; over > 0 && flex.length > 0; over = total() - width) {
    // Take from the widest flexible column first, never below a readable minimum.
    const i = flex.reduce((a, b) => (widths[b]! > widths[a]! ? b : a));
    const floor = Math.max(MIN_FLEX, ...heads[i]!.map((h) => h.length));
    if (widths[i]! <= floor) break;
    widths[i] = Math.max(floor, widths[i]! - over);
  }
  const line = (cells: string[]): string =>
    columns.map((c, i) => pad(shorten(cells[i] ?? '', widths[i]!, c.keep), widths[i]!, c.right)).join(GAP).trimEnd();
  const headLines = Math.max(...heads.map((h) => h.length));
  // Two-line heads sit on the bottom line, like a column title with its qualifier above it.
  const head = Array.from({ length: headLines }, (_, k) => line(heads.map((h) => h[k - (headLines - h.length)] ?? '')));
  return [...head, ...rows.map(line)].join('\n');
}

/** The width to render for: $COLUMNS when set, the terminal's width, else 80 (a pipe, a file). */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return stream.isTTY && stream.columns ? stream.columns : 80;
}

// cli-table3 (with string-width and its colours) is loaded on first use, not with the command:
// `analyze --json` prints no such table, and the import was ~5–10 ms of CPU of every start-up
// (`ovl-dedup --version`, 10 alternated runs at load ~7), before any other thread runs.
let cliTable: CliTable3 | undefined;

/** A cli-table3 table with these column heads, no borders, no colours, no blank lines. */
export function compactTable(head: string[]): CliTable3.Table {
  cliTable ??= createRequire(import.meta.url)('cli-table3') as CliTable3;
  return new cliTable({ head, style: { head: [], border: [], compact: true } });
}
