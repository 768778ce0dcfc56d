// report.html: the run as one self-contained page: per-suite totals (sortable), a divergence
// matrix of suite × category drawn as inline SVG whose unexpected cells link to the repro script
// of the divergence that shows the category, and the list of divergences with their replay
// commands. Fed from the same RunModel as report.md; summary.json's numbers are embedded.
import { colour, esc, page, tableHtml } from '../../html/page.js';
import { type RunModel, shrinkText, type UnexpectedDivergence } from './model.js';
import { shownName } from '../../format/byte-names.js';

/** The category a classified difference is counted under (as the model counts them). */
function categoriesOf(u: UnexpectedDivergence): Set<string> {
  return new Set(u.minimal.classified.map((c) => c.accepted ?? `${c.difference.where}:${c.difference.field}`));
}

const CELL_W = 110;
const CELL_H = 28;
const HEAD_H = 120;
const LEFT_W = 130;

/** Suites down, categories across; a cell's count of scenarios with that difference; unexpected ones link to a repro. */
export function divergenceMatrix(m: RunModel): string {
  const suites = m.suites.map((s) => s.suite);
  const cats = [...new Map(m.categories.map((c) => [c.category, c.accepted])).entries()]
    .sort((a, b) => Number(a[1]) - Number(b[1]) || a[0].localeCompare(b[0]));
  if (cats.length === 0) return '<p class="note">No differences in any suite: nothing to draw.</p>';
  const width = LEFT_W + cats.length * CELL_W;
  const height = HEAD_H + suites.length * CELL_H;
  const out: string[] = [];
  cats.forEach(([cat, accepted], j) => {
    const x = LEFT_W + j * CELL_W + CELL_W / 2;
    out.push(`<text transform="translate(${x},${HEAD_H - 6}) rotate(-35)"${accepted ? '' : ' font-weight="600"'}>${esc(cat.length > 28 ? `${cat.slice(0, 27)}…` : cat)}<title>${esc(cat)}</title></text>`);
  });
  suites.forEach((suite, i) => {
    const y = HEAD_H + i * CELL_H;
    out.push(`<text x="4" y="${y + CELL_H / 2 + 4}">${esc(suite)}</text>`);
    cats.forEach(([cat, accepted], j) => {
      const x = LEFT_W + j * CELL_W;
      const n = m.categories.filter((c) => c.suite === suite && c.category === cat).reduce((s, c) => s + c.scenarios, 0);
      const fill = n === 0 ? '#f7f7f7' : accepted ? '#f2c879' : colour(3);
      const label = n === 0 ? '' : `<text x="${x + CELL_W / 2}" y="${y + CELL_H / 2 + 4}" text-anchor="middle"${accepted ? '' : ' style="fill:#fff"'}>${n}</text>`;
      const what = `${suite} × ${cat}: ${n} scenario${n === 1 ? '' : 's'}${accepted ? ' (accepted rule)' : n ? ' (unexpected)' : ''}`;
      const cell = `<rect class="mcell${n && !accepted ? ' unexpected' : ''}" x="${x + 1}" y="${y + 1}" width="${CELL_W - 2}" height="${CELL_H - 2}" fill="${fill}"><title>${esc(what)}</title></rect>${label}`;
      const repro = n && !accepted ? m.unexpected.find((u) => u.suite === suite && categoriesOf(u).has(cat)) : undefined;
      out.push(repro ? `<a class="repro" href="${esc(repro.repro)}">${cell}</a>` : cell);
    });
  });
  // Twenty categories are ~2,300 px: the matrix scrolls in its own box, the page stays as wide as the window.
  return `<div class="matrix-box"><svg class="matrix" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${out.join('')}</svg></div>`;
}

function suiteTable(m: RunModel): string {
  const num = (n: number) => ({ text: String(n), sort: n });
  return tableHtml({
    id: 'suites',
    head: [{ label: 'suite' }, { label: 'scenarios', numeric: true }, { label: 'pass', numeric: true }, { label: 'accepted', numeric: true },
      { label: 'unexpected', numeric: true }, { label: 'seconds', numeric: true }, { label: 'error' }],
    rows: m.suites.map((s) => [{ text: s.suite }, num(s.scenarios), num(s.pass), num(s.accepted), num(s.diverged),
      { text: (s.ms / 1000).toFixed(1), sort: s.ms }, { text: s.error ?? '' }]),
  });
}

function divergences(m: RunModel): string {
  if (m.unexpected.length === 0) return '<p class="note">No unexpected divergence.</p>';
  return '<ul>' + m.unexpected.map((u) => {
    const first = u.minimal.classified.find((c) => !c.accepted)?.difference;
    const what = first ? `${first.where}:${first.field}${first.path ? ` at ${shownName(first.path)}` : ''}` : '';
    return `<li id="${esc(u.id)}"><b>${esc(u.id)}</b>: ${esc(what)} — ${shrinkText(u)}` +
      `${u.partingOp !== undefined ? `, parting at op ${u.partingOp + 1}` : ''}. <a href="${esc(u.repro)}">${esc(u.repro)}</a> · ` +
      `<a href="${esc(u.json)}">${esc(u.json)}</a><br><code>${esc(u.replay)}</code></li>`;
  }).join('\n') + '</ul>';
}

export function renderHtml(m: RunModel, summary: unknown): string {
  const i = m.info;
  const t = m.totals;
  const body = [
    `<p class="note">Target <code>${esc(i.target)}</code> against ${esc(i.reference ?? 'no reference (recording only)')}, seed ${i.seed}, ` +
      `started ${esc(i.startedAt)}, ${(i.ms / 1000).toFixed(1)} s. ${t.scenarios} scenarios: ${t.pass} pass, ${t.accepted} accepted, ${t.diverged} unexpected.` +
      `<br>Rerun: <code>${esc(i.command)}</code></p>`,
    `<h2>Suites</h2>${suiteTable(m)}`,
    '<h2>Divergence matrix</h2><p class="note">Scenarios per suite with each kind of difference: red cells are unexpected (click one for its ' +
      'repro script), amber cells are covered by an accepted-divergence rule.</p>' + divergenceMatrix(m),
    `<h2>Unexpected divergences</h2>${divergences(m)}`,
  ];
  return page('ovl-check report', body.join('\n'), summary);
}
