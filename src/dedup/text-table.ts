// Plain column tables for the terminal, the way docker prints them (no box, two spaces between
// columns), fitted to the terminal width: paths are shortened keeping their end (the informative
// part), labels and lists wrap, heads break at their spaces; numbers are never cut.

export interface Column {
  head: string;
  right?: boolean;
  /** may be shortened with '…' to fit the width */
  flex?: boolean;
  /** which end of a shortened cell stays: 'end' (default, paths) or 'start' (lists of names) */
  keep?: 'start' | 'end';
  /** may wrap onto more lines to fit the width: labels and lists of names, broken after ', ' or at spaces */
  wrap?: boolean;
  /** the narrowest a flex or wrap column may become (default 12 for flex, 10 for wrap) */
  min?: number;
}

const GAP = '  ';
const MIN_FLEX = 12;
const MIN_WRAP = 10;

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

/** A cell as lines of at most `width`: a list breaks after its commas, other text at spaces, a word too long after a '/'. */
function wrapCell(cell: string, width: number): string[] {
  if (cell.length <= width) return [cell];
  // Each piece carries what joins it to the one before: a space, or nothing inside a word split at '/'.
  const pieces = (cell.includes(', ') ? cell.split(/(?<=,) /) : cell.split(' ')).flatMap((w) =>
    (w.length > width ? w.split(/(?<=\/)/) : [w]).map((p, k) => ({ p, glue: k === 0 ? ' ' : '' })));
  const lines: string[] = [];
  let line = '';
  for (const { p, glue } of pieces) {
    if (line && line.length + glue.length + p.length > width) {
      lines.push(line);
      line = p;
    } else line = line ? line + glue + p : p;
  }
  return [...lines, line].map((l) => shorten(l, width, 'start'));
}

function pad(cell: string, width: number, right: boolean | undefined): string {
  return right ? cell.padStart(width) : cell.padEnd(width);
}

/** Head lines broken at spaces to fit `width` (never below the head's longest word): 'FILE DATA' over two lines. */
function narrowHead(lines: string[], width: number): string[] {
  const w = Math.max(width, ...lines.flatMap((l) => l.split(' ').map((x) => x.length)));
  return lines.flatMap((l) => wrap(l, w, '').split('\n'));
}

/**
 * The table as text lines (trailing spaces trimmed), no wider than `width` if its columns allow:
 * flexible columns are shortened first, then heads break at their spaces, then wrapping columns
 * wrap; numbers never shrink. A head may hold '\n'.
 */
export function textTable(columns: Column[], rows: string[][], width: number): string {
  let heads = columns.map((c) => c.head.split('\n'));
  const cellWidth = (i: number): number => Math.max(0, ...rows.map((r) => (r[i] ?? '').length));
  const widths = columns.map((_, i) => Math.max(...heads[i]!.map((h) => h.length), cellWidth(i)));
  const total = (): number => widths.reduce((a, b) => a + b, 0) + GAP.length * (columns.length - 1);
  const headMin = (i: number): number => Math.max(...heads[i]!.map((h) => h.length));
  const shrink = (cols: number[], floor: (i: number) => number): void => {
    for (let over = total() - width; over > 0 && cols.length > 0; over = total() - width) {
      // Take from the widest column first, never below its floor.
      const open = cols.filter((i) => widths[i]! > floor(i));
      if (open.length === 0) break;
      const i = open.reduce((a, b) => (widths[b]! > widths[a]! ? b : a));
      widths[i] = Math.max(floor(i), widths[i]! - over);
    }
  };
  const of = (pick: (c: Column) => boolean | undefined): number[] => columns.map((c, i) => (pick(c) ? i : -1)).filter((i) => i >= 0);
  const floor = (c: Column): number => c.min ?? (c.flex ? MIN_FLEX : MIN_WRAP);
  const narrowest = (i: number): number => Math.max(floor(columns[i]!), headMin(i));
  // Paths first, then wrapped labels and lists; columns with their own floor (short IDs) last.
  shrink(of((c) => c.flex && c.min === undefined), narrowest);
  const fixed = (c: Column): boolean => !c.flex && !c.wrap;
  if (total() > width) {
    // One-line heads wider than their numbers go first ('MAX LINKS' over a '6'): cheaper than wrapping a label.
    heads = heads.map((h, i) => (fixed(columns[i]!) && h.length === 1 ? narrowHead(h, cellWidth(i)) : h));
    columns.forEach((c, i) => {
      if (fixed(c)) widths[i] = Math.max(headMin(i), cellWidth(i));
    });
  }
  shrink(of((c) => c.wrap), narrowest);
  if (total() > width) {
    // Heads wider than their column's cells (or its floor) break at their spaces, and everything
    // that may shrink shrinks again against the narrower heads.
    heads = heads.map((h, i) => {
      const c = columns[i]!;
      return narrowHead(h, c.flex || c.wrap ? floor(c) : cellWidth(i));
    });
    columns.forEach((c, i) => {
      widths[i] = c.flex || c.wrap ? Math.max(Math.min(widths[i]!, cellWidth(i)), headMin(i)) : Math.max(headMin(i), cellWidth(i));
    });
    shrink(of((c) => c.flex && c.min === undefined), narrowest);
    shrink(of((c) => c.wrap), narrowest);
    shrink(of((c) => c.flex && c.min !== undefined), narrowest);
  }
  const line = (cells: string[]): string[] => {
    const parts = columns.map((c, i) => (c.wrap ? wrapCell(cells[i] ?? '', widths[i]!) : [shorten(cells[i] ?? '', widths[i]!, c.keep)]));
    const n = Math.max(...parts.map((p) => p.length));
    return Array.from({ length: n }, (_, k) => columns.map((c, i) => pad(parts[i]![k] ?? '', widths[i]!, c.right)).join(GAP).trimEnd());
  };
  const headLines = Math.max(...heads.map((h) => h.length));
  // Multi-line heads sit on the bottom line, like a column title with its qualifier above it.
  const head = Array.from({ length: headLines }, (_, k) => line(heads.map((h) => h[k - (headLines - h.length)] ?? ''))[0]!);
  return [...head, ...rows.flatMap(line)].join('\n');
}

/** The width to render for: $COLUMNS when set, the terminal's width, else 80 (a pipe, a file). */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return stream.isTTY && stream.columns ? stream.columns : 80;
}
