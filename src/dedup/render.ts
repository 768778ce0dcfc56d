// Render: a Report → cli-table3 tables for humans (summary, images, layers, duplicates, waste,
// warnings, CI verdicts). Only consumes the report; colours are off so output is stable.
import Table from 'cli-table3';
import type { RuleResult } from './ci.js';
import type { Counts, Driver } from './types.js';
import type { LayerTotals, Report } from './report.js';
import { count, humanSize, percent } from './units.js';

const TOP_GROUPS = 10;
const TOP_WASTE = 10;

function table(head: string[], right: number[] = []): Table.Table {
  const colAligns = head.map((_, i) => (right.includes(i) ? 'right' : 'left')) as Array<'left' | 'right'>;
  return new Table({ head, colAligns, style: { head: [], border: [], compact: true } });
}

function countsRow(label: string, c: Counts): string[] {
  return [label, count(c.entries), count(c.inodes), humanSize(c.regularBytes), humanSize(c.diskBytes), count(c.maxLinks)];
}

function summary(name: string, t: LayerTotals): string {
  const tab = table([name, 'ENTRIES', 'INODES', 'REGULAR', 'DISK', 'MAX LINKS'], [1, 2, 3, 4, 5]);
  tab.push(countsRow('now', t), countsRow('as multi-lower (overlay2)', t.asMultiLower), countsRow('as chained (legacy overlay)', t.asChained));
  tab.push(['saved by multi-lower', '', `${count(t.saved.inodes)} (${percent(t.saved.inodesPercent)})`, '',
    `${humanSize(t.saved.bytes)} (${percent(t.saved.percent)})`, '']);
  const b = t.breakdown;
  const made = `now: ${count(b.inodesByType.file)} file, ${count(b.inodesByType.dir)} dir, ${count(b.inodesByType.symlink)} symlink, ` +
    `${count(b.inodesByType.other)} other inodes; ${count(b.hardlinkedEntries)} hard-linked names; ${humanSize(b.dirBytes)} in directories`;
  return `${tab.toString()}\n${made}`;
}

/** The layout a store does not use: overlay2-style diffs for legacy layers, full trees otherwise. */
function otherLayout(driver: Driver, c: { asMultiLower: Counts; asChained: Counts }): Counts {
  return driver === 'overlay' ? c.asMultiLower : c.asChained;
}

const OTHER_NOTE = 'ALT = the other layout: overlay2-style diffs for legacy overlay layers, full legacy trees for overlay2 layers';

function images(r: Report): string {
  const tab = table(['IMAGE', 'ID', 'DRIVER', 'LAYERS', 'SIZE', 'SHARED', 'UNIQUE', 'INODES', 'ALT INODES', 'DISK', 'ALT DISK'], [3, 4, 5, 6, 7, 8, 9, 10]);
  for (const img of r.images) {
    const alt = otherLayout(img.driver, img.totals);
    tab.push([img.names.join(', '), img.id.replace('sha256:', '').slice(0, 12), img.driver, String(img.layers.length),
      humanSize(img.size), humanSize(img.sharedSize), humanSize(img.uniqueSize), count(img.totals.inodes),
      count(alt.inodes), humanSize(img.totals.diskBytes), humanSize(alt.diskBytes)]);
  }
  return tab.toString();
}

function layers(r: Report): string {
  const tab = table(['IMAGE', '#', 'CACHE ID', 'SIZE', 'ENTRIES', 'INODES', 'DISK', 'MAX LINKS', 'ALT ENTRIES', 'ALT INODES', 'ALT DISK'], [1, 3, 4, 5, 6, 7, 8, 9, 10]);
  for (const img of r.images) {
    img.layers.forEach((l, i) => {
      const alt = otherLayout(img.driver, l);
      tab.push([i === 0 ? img.name : '', String(i), l.cacheId.slice(0, 12), humanSize(l.size), count(l.entries), count(l.inodes),
        humanSize(l.diskBytes), count(l.maxLinks), count(alt.entries), count(alt.inodes), humanSize(alt.diskBytes)]);
    });
  }
  return `${tab.toString()}\n${OTHER_NOTE}`;
}

function duplicates(r: Report): string {
  const d = r.duplicates;
  const tab = table(['SIZE', 'COPIES', 'REDUNDANT', 'XXH64', 'PATHS'], [0, 1, 2]);
  for (const g of d.groups.slice(0, TOP_GROUPS)) {
    tab.push([humanSize(g.size), String(g.inodes), humanSize(g.redundantBytes), g.hash, g.paths.slice(0, 3).join('\n')]);
  }
  const head = `Content duplicates: ${count(d.groups.length)} groups, ${count(d.redundantInodes)} redundant inodes, ` +
    `${humanSize(d.redundantBytes)} redundant (${count(d.hashedInodes)} inodes hashed, ${humanSize(d.hashedBytes)})`;
  return d.groups.length > 0 ? `${head}\n${tab.toString()}` : head;
}

function waste(r: Report): string {
  const w = r.waste;
  const tab = table(['IMAGE', 'EFFICIENCY', 'WASTED (dive)', 'RECLAIMABLE (N-1)', 'METADATA-ONLY'], [1, 2, 3, 4]);
  for (const i of w.images) {
    tab.push([i.image, percent(i.efficiency * 100), humanSize(i.wastedBytes), humanSize(i.reclaimableBytes), humanSize(i.metadataOnlyBytes)]);
  }
  const paths = table(['IMAGE', 'PATH', 'LAYERS', 'RECLAIMABLE', 'WHY'], [3]);
  for (const i of w.images) {
    for (const p of i.paths.slice(0, TOP_WASTE)) {
      const why = p.deleted ? 'deleted later' : p.metadataOnly ? 'metadata-only rewrite' : 'overwritten';
      paths.push([i.image, p.path, p.layers.join(','), humanSize(p.reclaimableBytes), why]);
    }
  }
  return `Path waste (dive):\n${tab.toString()}` + (paths.length > 0 ? `\n${paths.toString()}` : '');
}

function warnings(r: Report): string {
  if (r.warnings.length === 0) return '';
  return `Warnings (${r.warnings.length}):\n` + r.warnings.map((w) => `  ${w.path}: ${w.reason}`).join('\n');
}

export function renderCi(results: RuleResult[]): string {
  const tab = table(['RULE', 'LIMIT', 'ACTUAL', 'RESULT']);
  for (const r of results) tab.push([r.rule, r.limit, r.actual, r.pass ? 'PASS' : 'FAIL']);
  return `CI rules:\n${tab.toString()}`;
}

export function renderReport(r: Report): string {
  const stores = r.stores.map((s) => `${s.driver} at ${s.path}: ${s.layers} layers, ${s.images} images, ` +
    `${s.containers} containers${s.orphans.length ? `, ${s.orphans.length} orphaned dirs` : ''}` +
    (s.linkLimit ? `; max ${count(s.imageLayers.maxLinks)} links of the filesystem's ${count(s.linkLimit)}` : ''));
  const parts = [
    `Data root ${r.root}` + (stores.length ? `\n  ${stores.join('\n  ')}` : '\n  no overlay or overlay2 store found'),
    summary('IMAGE LAYERS', r.imageLayers),
    summary('CONTAINER LAYERS', r.containerLayers),
    images(r),
    layers(r),
    duplicates(r),
    waste(r),
    warnings(r),
  ];
  return parts.filter((p) => p.length > 0).join('\n\n') + '\n';
}
