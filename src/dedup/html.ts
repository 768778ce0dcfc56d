// `analyze --html FILE`: the report as one self-contained page: the whole-root and layout numbers,
// per-image stacked bars of layer inodes and disk (both layouts), a treemap of duplicate bytes by
// layer and directory, the sortable waste and duplicate tables, and the --json report embedded.
import { esc, page, tableHtml } from '../html/page.js';
import { duplicateCells, imageCharts, treemap } from './html-charts.js';
import { layerLabel, layerNames } from './layer-names.js';
import type { LayerTotals, Report } from './report.js';
import { imageList, needsTags, storeNote, storeWord } from './store-labels.js';
import { count, counted, percent, sizeFormat } from './units.js';
import { wasteRowsOf } from './waste-rows.js';

function summary(r: Report, size: (n: number) => string): string {
  const row = (label: string, x: { entries: number; inodes: number; diskBytes: number }) =>
    [{ text: label }, { text: count(x.entries), sort: x.entries }, { text: count(x.inodes), sort: x.inodes }, { text: size(x.diskBytes), sort: x.diskBytes }];
  const rows = [row('image layers', r.imageLayers), row('container layers', r.containerLayers)];
  if (r.wholeRoot) rows.push(row('outside the layers (metadata)', r.wholeRoot.outside), row('whole data root', r.wholeRoot));
  const legacy = r.stores.every((s) => s.driver === 'overlay');
  const savedBy = (t: LayerTotals, where: string): string => `overlay2 saves an estimated ${count(t.saved.inodes)} inodes (${percent(t.saved.inodesPercent)}) and ` +
    `${size(t.saved.bytes)} of disk (${percent(t.saved.percent)}) over legacy chains${where}` + (legacy ? ' (ovl-dedup convert measures it).' : '.');
  // Several stores share files by hard link: each store's estimate is its own, a sum would count them twice.
  const saved = needsTags(r.stores.map((s) => s.driver))
    ? r.stores.map((s) => savedBy(s.imageLayers, ` in the ${storeWord(s.driver)} store`)).join(' ')
    : savedBy(r.imageLayers, '');
  return tableHtml({ id: 'root', head: [{ label: 'data root' }, { label: 'names', numeric: true }, { label: 'inodes', numeric: true }, { label: 'disk', numeric: true }], rows }) +
    `<p class="note">The whole-root row counts what <code>find DATA_ROOT -xdev | wc -l</code>, <code>du -s -x --inodes DATA_ROOT</code> and <code>du -s -x DATA_ROOT</code> count. ${esc(saved)}</p>`;
}

function wasteTable(r: Report, size: (n: number) => string): string {
  const tagged = needsTags(r.stores.map((s) => s.driver));
  return tableHtml({
    id: 'waste',
    head: [{ label: 'path' }, { label: 'images' }, { label: 'layers' }, { label: 'all copies', numeric: true }, { label: 'reclaimable', numeric: true }, { label: 'why' }],
    rows: wasteRowsOf(r).map(({ p, images, why }) => [
      { text: `/${p.path}` }, { text: imageList(images, tagged) }, { text: p.layers.map((i) => `#${i}`).join(' → ') },
      { text: size(p.totalBytes), sort: p.totalBytes }, { text: size(p.reclaimableBytes), sort: p.reclaimableBytes }, { text: why },
    ]),
  });
}

function duplicateTable(r: Report, size: (n: number) => string): string {
  const names = layerNames(r);
  return tableHtml({
    id: 'duplicates',
    head: [{ label: 'redundant', numeric: true }, { label: 'copies', numeric: true }, { label: 'size', numeric: true }, { label: 'files (layer that added each)' }],
    rows: r.duplicates.groups.slice(0, 200).map((g) => [
      { text: size(g.redundantBytes), sort: g.redundantBytes }, { text: String(g.inodes), sort: g.inodes }, { text: size(g.size), sort: g.size },
      { text: g.files.slice(0, 4).map((f) => `/${f.path} (${layerLabel(names, f.layer)})`).join('; ') + (g.inodes > 4 ? `; … ${g.inodes - 4} more` : '') },
    ]),
  });
}

export function renderHtml(r: Report, opts: { binary?: boolean } = {}): string {
  const size = sizeFormat(opts.binary ?? false);
  const d = r.duplicates;
  const body = [
    `<p class="note">Data root <code>${esc(r.root)}</code>: ${r.stores.map((s) => `${esc(s.driver)} store${esc(storeNote(s.driver, r.stores.map((x) => x.driver)))}, ${counted(s.layers, 'layer')}, ${counted(s.images, 'image')}, ${counted(s.containers, 'container')}`).join('; ')}. ` +
      `Sizes in ${opts.binary ? 'IEC units (1 KiB = 1024 B)' : 'SI units (1 kB = 1000 B)'}. Hover a shape for its numbers.</p>`,
    `<h2>Data root</h2>${summary(r, size)}`,
    '<h2>Images: inodes and disk per layer</h2><p class="note">Each bar stacks what each layer holds on its own (bottom layer at the bottom). ' +
      'The dashed line is the image as a whole, where a file shared by several layers counts once: in a legacy chain every layer is a full ' +
      'tree hard-linked to the one below, so its stack rises far above the line; overlay2 diffs share nothing, so their stack ends at it.</p>' + imageCharts(r, size, count),
    `<h2>Duplicate content by layer and directory</h2><p class="note">${count(d.groups.length)} groups of identical non-empty files; ` +
      `${count(d.redundantInodes)} redundant copies hold ${esc(size(d.redundantBytes))}. Each rectangle: the redundant copies in one layer's directory ` +
      '(the first copy of each content, in the lowest layer, is not counted).</p>' + treemap(duplicateCells(r), size),
    `<h2>Waste (as dive counts it)</h2><p class="note">Files written in one layer and overwritten or deleted later; click a column to sort.</p>${wasteTable(r, size)}`,
    `<h2>Duplicate groups</h2>${duplicateTable(r, size)}`,
    r.warnings.length ? `<h2>Warnings</h2><ul>${r.warnings.map((w) => `<li><code>${esc(w.path)}</code>: ${esc(w.reason)}</li>`).join('')}</ul>` : '',
  ];
  return page('ovl-dedup analyze', body.join('\n'), r);
}
