// The pictures of the ovl-dedup HTML report, as inline SVG strings (drawn here, no library):
// per-image stacked bars of each layer's inodes and disk, the store's layout beside the other
// one; a treemap of redundant duplicate bytes by layer and directory. Pure.
import { colour, esc } from '../html/page.js';
import { imageTag, needsTags } from './store-labels.js';
import { layerNames } from './layer-names.js';
import type { ImageReport, Report } from './report.js';
import type { Counts } from './types.js';

export type Fmt = (n: number) => string;

interface Bar {
  label: string;
  /** one value per layer, bottom first */
  parts: number[];
  /** the image's total with shared inodes counted once (a marker; equals Σ parts for diffs) */
  total: number;
}

const W = 300;
const H = 220;
const TOP = 30;
const BOTTOM = 40;
const LEFT = 10;

function stackedBars(title: string, bars: Bar[], fmt: Fmt, layerLabels: string[]): string {
  const max = Math.max(1, ...bars.map((b) => Math.max(b.total, b.parts.reduce((a, x) => a + x, 0))));
  const scale = (H - TOP - BOTTOM) / max;
  const bw = 70;
  const gap = (W - LEFT * 2 - bw * bars.length) / (bars.length + 1);
  const out: string[] = [`<text class="title" x="${LEFT}" y="16">${esc(title)}</text>`];
  bars.forEach((b, i) => {
    const x = LEFT + gap + i * (bw + gap);
    let y = H - BOTTOM;
    b.parts.forEach((v, k) => {
      const h = v * scale;
      y -= h;
      out.push(`<rect class="seg" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${bw}" height="${h.toFixed(1)}" fill="${colour(k)}">` +
        `<title>${esc(`${b.label}: ${layerLabels[k] ?? `#${k}`}: ${fmt(v)}`)}</title></rect>`);
    });
    const ty = H - BOTTOM - b.total * scale;
    out.push(`<line class="total" x1="${x - 4}" x2="${x + bw + 4}" y1="${ty.toFixed(1)}" y2="${ty.toFixed(1)}" stroke="#000" stroke-width="2" stroke-dasharray="4 2"><title>${esc(`${b.label}, layers together: ${fmt(b.total)}`)}</title></line>`);
    out.push(`<text x="${x + bw / 2}" y="${(ty - 5).toFixed(1)}" text-anchor="middle">${esc(fmt(b.total))}</text>`);
    out.push(`<text x="${x + bw / 2}" y="${H - BOTTOM + 16}" text-anchor="middle">${esc(b.label)}</text>`);
  });
  return `<svg class="stacked" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img">${out.join('')}</svg>`;
}

/** The store's own layout first, the estimated other one beside it. */
function layoutsOf(img: ImageReport): { onDisk: string; other: string; pick: (c: { asMultiLower: Counts; asChained: Counts } & Counts) => [Counts, Counts] } {
  if (img.driver === 'overlay') return { onDisk: 'legacy (disk)', other: 'overlay2 (est.)', pick: (c) => [c, c.asMultiLower] };
  return { onDisk: 'overlay2 (disk)', other: 'legacy (est.)', pick: (c) => [c, c.asChained] };
}

/** Two charts per image (inodes, disk), each with the two layouts side by side, stacked by layer. */
export function imageCharts(r: Report, fmtSize: Fmt, fmtCount: Fmt): string {
  const names = layerNames(r);
  const tagged = needsTags(r.stores.map((s) => s.driver));
  return r.images.map((img) => {
    const l = layoutsOf(img);
    const per = img.layers.map((x) => l.pick(x));
    const [tDisk, tOther] = l.pick(img.totals);
    const labels = img.layers.map((x, i) => `#${i} ${names.get(x.cacheId)?.short ?? x.cacheId.slice(0, 12)}`);
    const bars = (key: 'inodes' | 'diskBytes'): Bar[] => [
      { label: l.onDisk, parts: per.map(([a]) => a[key]), total: tDisk[key] },
      { label: l.other, parts: per.map(([, b]) => b[key]), total: tOther[key] },
    ];
    const legend = labels.map((s, i) => `<span style="color:${colour(i)}">■</span> ${esc(s)}`).join(' &nbsp; ');
    const n = img.layers.length;
    return `<figure class="image-chart" data-image="${esc(img.name)}" data-driver="${esc(img.driver)}"><figcaption><b>${esc(imageTag(img, tagged))}</b> — ${n} ${n === 1 ? 'layer' : 'layers'}: ${legend}</figcaption>` +
      `<div class="charts">${stackedBars('inodes', bars('inodes'), fmtCount, labels)}${stackedBars('disk', bars('diskBytes'), fmtSize, labels)}</div></figure>`;
  }).join('\n');
}

export interface Cell {
  layer: string;
  dir: string;
  bytes: number;
}

/**
 * Redundant duplicate bytes by the layer and directory of each copy beyond the first (the first is
 * the bottom-most, the one that added the content first). Groups list at most 20 files; the
 * copies not listed are left out, so the treemap can undercount groups of more than 20 copies.
 */
export function duplicateCells(r: Report, maxDirs = 8): Cell[] {
  const names = layerNames(r);
  const label = (id: string): string => names.get(id)?.label ?? id.slice(0, 12);
  const by = new Map<string, Map<string, number>>();
  for (const g of r.duplicates.groups) {
    for (const f of g.files.slice(1)) {
      const dir = '/' + (f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/')) : '');
      const m = by.get(label(f.layer)) ?? new Map<string, number>();
      by.set(label(f.layer), m);
      m.set(dir, (m.get(dir) ?? 0) + g.size);
    }
  }
  const cells: Cell[] = [];
  for (const [layer, dirs] of by) {
    const sorted = [...dirs].sort((a, b) => b[1] - a[1]);
    for (const [dir, bytes] of sorted.slice(0, maxDirs)) cells.push({ layer, dir, bytes });
    const rest = sorted.slice(maxDirs).reduce((n, [, b]) => n + b, 0);
    if (rest > 0) cells.push({ layer, dir: 'other dirs', bytes: rest });
  }
  return cells;
}

/** Slice-and-dice treemap: a column per layer (width by bytes), its directories stacked inside. */
export function treemap(cells: Cell[], fmt: Fmt, width = 1000, height = 360): string {
  const total = cells.reduce((n, c) => n + c.bytes, 0);
  if (total === 0) return '<p class="note">No duplicate content: nothing to draw.</p>';
  const layers = [...new Set(cells.map((c) => c.layer))]
    .map((layer) => ({ layer, cells: cells.filter((c) => c.layer === layer), bytes: cells.filter((c) => c.layer === layer).reduce((n, c) => n + c.bytes, 0) }))
    .sort((a, b) => b.bytes - a.bytes);
  const out: string[] = [];
  let x = 0;
  layers.forEach((l, li) => {
    const w = (l.bytes / total) * width;
    let y = 18;
    out.push(`<text x="${(x + 3).toFixed(1)}" y="13">${esc(w > 60 ? l.layer : '')}</text>`);
    for (const c of l.cells) {
      const h = (c.bytes / l.bytes) * (height - 18);
      out.push(`<rect class="cell" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0, w - 1).toFixed(1)}" height="${Math.max(0, h - 1).toFixed(1)}" fill="${colour(li)}" fill-opacity="0.75">` +
        `<title>${esc(`${c.layer} ${c.dir}: ${fmt(c.bytes)} redundant`)}</title></rect>`);
      if (w > 70 && h > 14) out.push(`<text x="${(x + 4).toFixed(1)}" y="${(y + 12).toFixed(1)}">${esc(`${c.dir} ${fmt(c.bytes)}`.slice(0, Math.floor(w / 6.5)))}</text>`);
      y += h;
    }
    x += w;
  });
  return `<svg class="treemap" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${out.join('')}</svg>`;
}
