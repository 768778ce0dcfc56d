// Self-contained HTML pages for the reports of ovl-dedup and ovl-check: one file, no network at
// view time (inline CSS, inline SVG drawn here, one small inline script for sortable tables), with
// the report's JSON embedded so the numbers behind every picture travel with it.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for an HTML text node or attribute value. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (ch) => ENTITIES[ch]!);
}

/** A table whose columns sort on click; `sort` values (numbers) override the shown text. */
export interface HtmlTable {
  id: string;
  head: Array<{ label: string; numeric?: boolean }>;
  rows: Array<Array<{ text: string; sort?: number; href?: string }>>;
}

export function tableHtml(t: HtmlTable): string {
  const head = t.head.map((h, i) => `<th data-col="${i}"${h.numeric ? ' class="num"' : ''}>${esc(h.label)}</th>`).join('');
  const rows = t.rows.map((r) => '<tr>' + r.map((c, i) => {
    const sort = c.sort !== undefined ? ` data-sort="${c.sort}"` : '';
    const body = c.href ? `<a href="${esc(c.href)}">${esc(c.text)}</a>` : esc(c.text);
    return `<td${sort}${t.head[i]?.numeric ? ' class="num"' : ''}>${body}</td>`;
  }).join('') + '</tr>').join('\n');
  return `<table class="sortable" id="${esc(t.id)}"><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

// Sorting: click a header to sort by it, again to reverse. Numeric cells sort by data-sort.
const SORT_SCRIPT = `
for (const table of document.querySelectorAll('table.sortable')) {
  table.querySelectorAll('th').forEach((th, col) => th.addEventListener('click', () => {
    const body = table.tBodies[0];
    const dir = th.dataset.dir === 'asc' ? 'desc' : 'asc';
    table.querySelectorAll('th').forEach((h) => delete h.dataset.dir);
    th.dataset.dir = dir;
    const key = (tr) => { const td = tr.children[col]; return td.dataset.sort !== undefined ? Number(td.dataset.sort) : td.textContent; };
    const rows = [...body.rows].sort((a, b) => { const x = key(a), y = key(b); const c = x < y ? -1 : x > y ? 1 : 0; return dir === 'asc' ? c : -c; });
    for (const r of rows) body.appendChild(r);
  }));
}
document.body.dataset.ready = 'yes';
`;

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1300px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 8px 0; } td, th { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; }
th { background: #f4f4f4; cursor: pointer; user-select: none; } th[data-dir=asc]::after { content: ' ▲'; } th[data-dir=desc]::after { content: ' ▼'; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #555; max-width: 900px; } .charts { display: flex; flex-wrap: wrap; gap: 24px; }
svg text { font: 11px system-ui, sans-serif; fill: #333; } svg .title { font-weight: 600; font-size: 12px; }
code { background: #f4f4f4; padding: 0 3px; }
.matrix-box { max-width: 100%; overflow-x: auto; border: 1px solid #eee; }
`;

/** A complete page: title, body sections, and the report embedded as application/json. */
export function page(title: string, body: string, json: unknown): string {
  // '</' inside a script element would end it early; '<\\/' parses as the same JSON string.
  const data = JSON.stringify(json).replace(/<\//g, '<\\/');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style></head>
<body>
<h1>${esc(title)}</h1>
${body}
<script type="application/json" id="report-json">${data}</script>
<script>${SORT_SCRIPT}</script>
</body></html>
`;
}

/** Colours for layers and categories: distinct, readable on white, cycling. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function colour(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}
