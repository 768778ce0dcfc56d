// Renders a report for people: cli-table3 tables for the terminal and a Markdown document with
// the same rows, the environment, every FAIL reason and every unavailable target.
import Table from 'cli-table3';
import type { Cell, Report, Row, SectionSummary, Unit } from './types.js';

export function formatValue(v: number, unit: Unit): string {
  if (unit === 'ms') return v < 10 ? v.toFixed(1) : Math.round(v).toString();
  if (unit === 'scenarios/min' || unit === 'MiB') return v.toFixed(1);
  return Math.round(v).toLocaleString('en-US');
}

function formatCell(c: Cell | undefined, unit: Unit, unavailable: boolean): string {
  if (!c) return unavailable ? 'n/a' : '—';
  if (c.fails.length > 0) return 'FAIL';
  if (c.median === null) return '—';
  let s = formatValue(c.median, unit);
  if (c.n > 1) s += ` (${formatValue(c.min!, unit)}–${formatValue(c.max!, unit)})`;
  if (c.interfered > 0) s += ` !${c.interfered}`;
  return s;
}

export function formatRatio(r: number | null | undefined): string {
  return r == null ? '—' : `${r.toFixed(2)}×`;
}

function goalText(row: Row): string {
  if (!row.goal) return '';
  const v = row.goal.met === null ? 'n/a' : row.goal.met ? 'met' : 'missed';
  return `${row.goal.text}: ${v}`;
}

/** Header and body rows of one section, as plain strings (shared by both renderers). */
export function sectionGrid(s: SectionSummary, unavailable: Set<string>): { head: string[]; body: string[][] } {
  const head = ['metric', ...s.targets, ...s.anchors.map((a) => `${s.subject} / ${a}`), 'goal'];
  const body = s.rows.map((r) => [
    `${r.metric} (${r.unit})`,
    ...s.targets.map((t) => formatCell(r.cells[t], r.unit, unavailable.has(t))),
    ...s.anchors.map((a) => formatRatio(r.ratios[a])),
    goalText(r),
  ]);
  return { head, body };
}

function unavailableOf(report: Report, section: string): Set<string> {
  return new Set(report.unavailable.filter((u) => u.section === section).map((u) => u.target));
}

/** Reasons for every FAIL and unavailable target of a section, one line each. */
export function notes(report: Report, s: SectionSummary): string[] {
  const out: string[] = [];
  for (const u of report.unavailable.filter((u) => u.section === s.name)) out.push(`${u.target}: unavailable (${u.reason})`);
  for (const r of s.rows) for (const [t, c] of Object.entries(r.cells)) for (const f of c.fails) out.push(`${t} ${r.metric} FAIL, ${f}`);
  return out;
}

export function renderTerminal(report: Report): string {
  const parts: string[] = [];
  for (const s of report.sections) {
    const { head, body } = sectionGrid(s, unavailableOf(report, s.name));
    const table = new Table({ head, style: { head: [], border: [], compact: true } });
    table.push(...body);
    parts.push(`${s.title}\n${body.length > 0 ? table.toString() : '  (nothing measured)'}`);
    const n = notes(report, s);
    if (n.length > 0) parts.push(n.map((l) => `  ${l}`).join('\n'));
  }
  parts.push(`time ratios: ${'>'} 1 = the subject is slower than the anchor (throughputs inverted); (min–max) over ${report.rounds} round(s); !N = N foreign drop_caches during the timed steps`);
  return parts.join('\n\n') + '\n';
}

const mdEscape = (s: string) => s.replace(/\|/g, '\\|');

export function renderMarkdown(report: Report): string {
  const e = report.environment;
  const lines = [
    `# ovlkit benchmark, ${report.startedAt}`,
    '',
    `Profile \`${report.profile}\`, ${report.rounds} interleaved round(s). Machine: ${e.host}, kernel ${e.kernel}, ${e.cpus} CPUs, ${e.memGiB} GiB, node ${e.node}, load ${e.loadavg.map((l) => l.toFixed(2)).join(' ')} at start.`,
    `Versions: ${Object.entries(e.versions).map(([k, v]) => `${k} ${v}`).join('; ')}.`,
    '',
    'Cells: median (min–max). Ratios are time ratios of the subject to each anchor (> 1 = slower; throughputs inverted). FAIL = a correctness check failed (reasons below); n/a = the target could not run.',
  ];
  for (const s of report.sections) {
    const { head, body } = sectionGrid(s, unavailableOf(report, s.name));
    lines.push('', `## ${s.title}`, '');
    if (body.length === 0) lines.push('Nothing measured.');
    else lines.push(`| ${head.map(mdEscape).join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.map(mdEscape).join(' | ')} |`));
    const n = notes(report, s);
    if (n.length > 0) lines.push('', ...n.map((l) => `- ${mdEscape(l)}`));
  }
  if (report.notes.length > 0) lines.push('', '## Notes', '', ...report.notes.map((n) => `- ${n}`));
  return lines.join('\n') + '\n';
}
