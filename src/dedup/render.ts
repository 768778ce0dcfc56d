// Render: a Report → plain text for a person who has not read the docs: units said once, one
// precision per column, every layer named as docker history/dive name it, tables fitted to the
// terminal width, each column name readable on its own. Only consumes the report.
import { oneLine } from '../errors.js';
import type { RuleResult } from './ci.js';
import { layerLabel, layerNames, type LayerName } from './layer-names.js';
import type { Counts, Driver } from './types.js';
import type { ImageReport, LayerTotals, Report, StoreReport } from './report.js';
import { imageList, imageTag, needsTags, storeNote, storeWord } from './store-labels.js';
import { textTable, wrap } from './text-table.js';
import { count, counted, percent, sizeFormat, type SizeFormat } from './units.js';
import { wasteRowsOf } from './waste-rows.js';

const TOP_GROUPS = 10;
const TOP_WASTE = 10;

export interface RenderOptions {
  /** IEC units (KiB, MiB) as `du -h` prints them; default SI (kB, MB) as docker prints them */
  binary?: boolean;
  /** terminal width in columns */
  width?: number;
}

interface Ctx {
  size: SizeFormat;
  width: number;
  names: Map<string, LayerName>;
  /** what the store is on disk and what the other layout is, for row and column labels */
  onDisk: string;
  other: string;
  legacy: boolean;
  /** more than one store: every image says which one it is in */
  tagged: boolean;
}

function layouts(drivers: Driver[]): Pick<Ctx, 'onDisk' | 'other' | 'legacy'> {
  if (drivers.length > 0 && drivers.every((d) => d === 'overlay')) return { onDisk: 'legacy overlay', other: 'overlay2', legacy: true };
  if (drivers.every((d) => d !== 'overlay')) return { onDisk: 'overlay2', other: 'legacy', legacy: false };
  return { onDisk: 'mixed', other: 'other layout', legacy: false };
}

function header(r: Report, c: Ctx): string {
  const units = c.size(1000) === '1000 B' ? 'IEC units (1 KiB = 1024 B, as du -h)' : 'SI units (1 kB = 1000 B, as docker prints them; --binary for KiB/MiB as du -h)';
  const lines = [`Data root ${r.root}`, wrap(`  Sizes in ${units}.`, c.width, '    ')];
  for (const s of r.stores) {
    const links = s.linkLimit ? `; most names of one file: ${count(s.imageLayers.maxLinks)} (the filesystem allows ${count(s.linkLimit)})` : '';
    const orphans = s.orphans.length ? `, ${s.orphans.length} dirs no layer uses` : '';
    lines.push(wrap(`  ${s.driver} store ${s.path}${storeNote(s.driver, r.stores.map((x) => x.driver))}: ${counted(s.layers, 'layer')}, ${counted(s.images, 'image')}, ${counted(s.containers, 'container')}${orphans}${links}`, c.width, '    '));
  }
  if (r.stores.length === 0) lines.push('  no overlay, overlay2 or containers-storage store found');
  return lines.join('\n');
}

function wholeRoot(r: Report, c: Ctx): string {
  const row = (label: string, x: { entries: number; inodes: number; diskBytes: number }): string[] =>
    [label, count(x.entries), count(x.inodes), c.size(x.diskBytes)];
  const rows = [row('image layers', r.imageLayers), row('container layers', r.containerLayers)];
  if (r.wholeRoot) rows.push(row('outside the layers (metadata)', r.wholeRoot.outside), row('whole data root', r.wholeRoot));
  const tab = textTable([{ head: 'DATA ROOT', wrap: true }, { head: 'NAMES', right: true }, { head: 'INODES', right: true }, { head: 'DISK', right: true }], rows, c.width);
  const hint = r.wholeRoot ? `\n${wrap(`The whole-root row counts what \`find DATA_ROOT -xdev | wc -l\`, \`du -s -x --inodes DATA_ROOT\` and \`du -s -x DATA_ROOT\` count (hard links once, a running container's mount left out).`, c.width, '')}` : '';
  return tab + hint;
}

function countsRow(label: string, x: Counts, c: Ctx): string[] {
  return [label, count(x.entries), count(x.inodes), c.size(x.regularBytes), c.size(x.diskBytes), count(x.maxLinks)];
}

/** One layout table per store when the root has several: their estimates are each store's own and do not add up. */
function layoutPerStore(r: Report, c: Ctx): string {
  if (!c.tagged) return layout(r.imageLayers, c);
  const note = wrap('Each store is measured and estimated on its own: the stores share files by hard link, so their rows do not add up ' +
    '(the data root table above counts every inode once).', c.width, '');
  return [note, ...r.stores.map((s: StoreReport) => layout(s.imageLayers, { ...c, ...layouts([s.driver]) }, `${storeWord(s.driver).toUpperCase()} STORE`))].join('\n\n');
}

function layout(t: LayerTotals, c: Ctx, title = 'IMAGE LAYERS'): string {
  const rows = [
    countsRow(`${c.onDisk} (on disk)`, t, c),
    c.legacy ? countsRow('as overlay2 diffs (estimated)', t.asMultiLower, c) : countsRow('as legacy chains (estimated)', t.asChained, c),
  ];
  rows.push(['saved by overlay2 (estimated)', '', count(t.saved.inodes), '', c.size(t.saved.bytes), '']);
  const saved = `overlay2 saves an estimated ${count(t.saved.inodes)} inodes (${percent(t.saved.inodesPercent)}) and ` +
    `${c.size(t.saved.bytes)} of disk (${percent(t.saved.percent)}) over legacy chains` + (c.legacy ? '; `ovl-dedup convert` measures it.' : '.');
  const cols = [{ head: title, wrap: true }, { head: 'NAMES', right: true }, { head: 'INODES', right: true },
    { head: 'FILE DATA', right: true }, { head: 'DISK', right: true }, { head: 'MAX LINKS', right: true }];
  const b = t.breakdown;
  const made = wrap(`On disk: ${count(b.inodesByType.file)} files, ${count(b.inodesByType.dir)} dirs, ${count(b.inodesByType.symlink)} symlinks, ` +
    `${count(b.inodesByType.other)} other inodes; ${count(b.hardlinkedEntries)} names are hard links; ${c.size(b.dirBytes)} of directory blocks.`, c.width, '');
  return `${textTable(cols, rows, c.width)}\n${wrap(saved, c.width, '')}\n${made}`;
}

/** The images of each store with that store's labels; one group when the root has one store. */
function byStore(r: Report, c: Ctx): Array<{ imgs: ImageReport[]; c: Ctx; driver: Driver | null }> {
  if (!c.tagged) return [{ imgs: r.images, c, driver: null }];
  return r.stores.map((s) => ({ imgs: r.images.filter((i) => i.driver === s.driver), c: { ...c, ...layouts([s.driver]) }, driver: s.driver }));
}

function images(r: Report, c: Ctx): string {
  const df = textTable(
    [{ head: 'IMAGE', wrap: true }, { head: 'ID' }, { head: 'LAYERS', right: true }, { head: 'SIZE', right: true },
      { head: 'SHARED', right: true }, { head: 'UNIQUE', right: true }],
    r.images.map((i) => [c.tagged ? imageTag(i, true) : i.names.join(', '), i.id.replace('sha256:', '').slice(0, 12), String(i.layers.length),
      c.size(i.size), c.size(i.sharedSize), c.size(i.uniqueSize)]),
    c.width,
  );
  const costs = byStore(r, c).map(({ imgs, c }) => {
    const est = c.legacy ? 'as overlay2' : `as ${c.other}`;
    return textTable(
      [{ head: 'IMAGE', wrap: true }, { head: 'INODES', right: true }, { head: 'DISK', right: true },
        { head: `INODES\n${est}`, right: true }, { head: `DISK\n${est}`, right: true }, { head: 'SAVED\n(estimated)', right: true }],
      imgs.map((i) => {
        const alt = c.legacy ? i.totals.asMultiLower : i.totals.asChained;
        return [imageTag(i, c.tagged), count(i.totals.inodes), c.size(i.totals.diskBytes), count(alt.inodes), c.size(alt.diskBytes), percent(i.totals.saved.percent)];
      }),
      c.width,
    );
  });
  return `${wrap(`Images (SIZE, SHARED, UNIQUE as docker system df -v${c.tagged ? ', each store on its own' : ''}):`, c.width, '')}\n${df}\n\n${costs.join('\n\n')}`;
}

/** Each layer once, bottom-up per image, with every image that uses it; one table per store. */
function layers(r: Report, c: Ctx): string {
  return byStore(r, c).map(({ imgs, c, driver }) => {
    const title = driver === null ? '' : `Layers of the ${storeWord(driver)} store:\n`;
    return title + layerTable(imgs, c);
  }).join('\n\n');
}

function layerTable(imgs: ImageReport[], c: Ctx): string {
  const est = c.legacy ? 'as overlay2' : `as ${c.other}`;
  // Images with fewer layers first, as layerNames orders them: a shared layer is named after the base image.
  const usedBy = new Map<string, string[]>();
  for (const img of [...imgs].sort((a, b) => a.layers.length - b.layers.length || a.name.localeCompare(b.name))) {
    img.layers.forEach((l, i) => usedBy.set(l.cacheId, [...(usedBy.get(l.cacheId) ?? []), `${img.name} #${i}`]));
  }
  const seen = new Set<string>();
  const rows: string[][] = [];
  for (const img of imgs) {
    for (const l of img.layers) {
      if (seen.has(l.cacheId)) continue;
      seen.add(l.cacheId);
      const alt = c.legacy ? l.asMultiLower : l.asChained;
      const n = c.names.get(l.cacheId);
      rows.push([n?.short ?? l.cacheId.slice(0, 12), (usedBy.get(l.cacheId) ?? []).join(', '), count(l.entries), count(l.inodes), c.size(l.diskBytes),
        count(alt.inodes), c.size(alt.diskBytes)]);
    }
  }
  return textTable(
    [{ head: 'LAYER', flex: true, keep: 'start', min: 5 }, { head: 'USED BY\nimage #index', wrap: true }, { head: 'NAMES', right: true }, { head: 'INODES', right: true },
      { head: 'DISK', right: true }, { head: `INODES\n${est}`, right: true }, { head: `DISK\n${est}`, right: true }],
    rows,
    c.width,
  );
}

function duplicates(r: Report, c: Ctx): string {
  const d = r.duplicates;
  const groups = d.groups.length === 1 ? '1 group' : `${count(d.groups.length)} groups`;
  const head = [
    wrap(`Duplicates: ${groups} of identical files; ${count(d.redundantInodes)} redundant copies hold ${c.size(d.redundantBytes)}.`, c.width),
    wrap('  Counted: non-empty regular files with the same size and content (xxh64), in any image or container layer; ' +
      'a hard-linked file counts once; "redundant" is every copy but one.', c.width),
    wrap(`  Files hashed: ${count(d.hashedInodes)} (${c.size(d.hashedBytes)}), the ones whose size another file has.`, c.width),
  ].join('\n');
  if (d.groups.length === 0) return head;
  const rows: string[][] = [];
  for (const g of d.groups.slice(0, TOP_GROUPS)) {
    g.files.slice(0, 3).forEach((f, i) => {
      rows.push(i === 0 ? [c.size(g.redundantBytes), String(g.inodes), c.size(g.size)] : ['', '', '']);
      rows[rows.length - 1]!.push(oneLine(`/${f.path}`), layerLabel(c.names, f.layer));
    });
    if (g.inodes > 3) rows.push(['', '', '', `… ${g.inodes - 3} more`, '']);
  }
  const shown = d.groups.length > TOP_GROUPS ? `\nLargest ${TOP_GROUPS} groups shown; --json lists all.` : '';
  const tab = textTable(
    [{ head: 'REDUNDANT', right: true }, { head: 'COPIES', right: true }, { head: 'SIZE', right: true },
      { head: 'FILE', flex: true }, { head: 'IN LAYER (that added it)', wrap: true }],
    rows,
    c.width,
  );
  return `${head}\n${tab}${shown}`;
}

/**
 * Each image's TOP_WASTE largest paths, one row per path and layers (waste-rows.ts): a row names
 * every image whose list holds it, not only those where it made the top ten.
 */
function wasteRows(r: Report, c: Ctx): string[][] {
  return wasteRowsOf(r)
    .filter((w) => w.rank < TOP_WASTE)
    .map((w) => [oneLine(`/${w.p.path}`), imageList(w.images, c.tagged), w.p.layers.map((i) => `#${i}`).join(' → '), c.size(w.p.reclaimableBytes), w.why]);
}

function waste(r: Report, c: Ctx): string {
  const head = wrap('Waste (as dive counts it): a file written in one layer and overwritten or deleted in a later one still takes space.', c.width, '');
  const per = textTable(
    [{ head: 'IMAGE', wrap: true }, { head: 'EFFICIENCY', right: true }, { head: 'WASTED\nall copies', right: true },
      { head: 'RECLAIMABLE\nall but the last', right: true }, { head: 'BY METADATA\nchanges only', right: true }],
    r.waste.images.map((i) => [imageTag({ name: i.image, driver: i.driver }, c.tagged), percent(i.efficiency * 100), c.size(i.wastedBytes), c.size(i.reclaimableBytes), c.size(i.metadataOnlyBytes)]),
    c.width,
  );
  const rows = wasteRows(r, c);
  const paths = rows.length === 0 ? '' : '\n\n' + textTable(
    [{ head: 'PATH', flex: true }, { head: 'IMAGES', wrap: true }, { head: 'LAYERS', wrap: true }, { head: 'RECLAIMABLE', right: true }, { head: 'WHY', wrap: true }],
    rows,
    c.width,
  );
  return `${head}\n${per}${paths}`;
}

function warnings(r: Report): string {
  if (r.warnings.length === 0) return '';
  return `Warnings (${r.warnings.length}):\n` + r.warnings.map((w) => `  ${oneLine(w.path)}: ${oneLine(w.reason)}`).join('\n');
}

export function renderCi(results: RuleResult[]): string {
  const cols = [{ head: 'RULE' }, { head: 'LIMIT', right: true }, { head: 'ACTUAL', right: true }, { head: 'RESULT' }];
  return `CI rules:\n${textTable(cols, results.map((r) => [r.rule, r.limit, r.actual, r.pass ? 'PASS' : 'FAIL']), 80)}`;
}

export function renderReport(r: Report, opts: RenderOptions = {}): string {
  const c: Ctx = { size: sizeFormat(opts.binary ?? false), width: opts.width ?? 80, names: layerNames(r), ...layouts(r.stores.map((s) => s.driver)),
    tagged: needsTags(r.stores.map((s) => s.driver)) };
  const parts = [header(r, c)];
  if (r.stores.length > 0) parts.push(wholeRoot(r, c), layoutPerStore(r, c), images(r, c), layers(r, c), duplicates(r, c), waste(r, c));
  parts.push(warnings(r));
  return parts.filter((p) => p.length > 0).join('\n\n') + '\n';
}
