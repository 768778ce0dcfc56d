// The migrate command's output: the plan (layers, containers, new inodes and bytes), and after a
// run the before/after numbers as analyze counts them. JSON with --json.
import { checkedRoot, type Io } from './analyze-cmd.js';
import { checkJsonOption, emitResult } from './output-path.js';
import { migrate, type MigrateOptions, type MigrateResult, type StoreCounts } from './migrate.js';
import type { MigratePlan } from './migrate-plan.js';
import { textTable } from './text-table.js';
import { count, counted, siSize as size } from './units.js';

export interface MigrateCliOptions extends MigrateOptions {
  json?: string;
}

function renderPlan(p: MigratePlan): string[] {
  const by = (w: string) => p.layers.filter((l) => l.work === w).length;
  const lines = [
    `${p.mode === 'in-place' ? 'In place' : `Into ${p.target}`}: ${counted(p.images.length, 'image')}, ${counted(p.layers.length, 'layer')} ` +
      `(${by('diff')} image layers as diffs, ${by('move') + by('copy')} container layers ${by('move') ? 'renamed' : 'copied'}), ${counted(p.containers.length, 'container')}`,
  ];
  for (const c of p.containers) lines.push(`  container ${c.id.slice(0, 12)} ${c.name}`);
  lines.push(
    `new on disk (estimate): ${count(p.newCost.inodes)} inodes, ${size(p.newCost.bytes)}`,
    `shared with the legacy files by hard link: ${count(p.linked.inodes)} inodes, ${size(p.linked.bytes)}`,
  );
  if (p.moved.inodes > 0) lines.push(`renamed, not copied: ${count(p.moved.inodes)} inodes, ${size(p.moved.bytes)}`);
  return lines;
}

function countsTable(before: StoreCounts | null, after: StoreCounts | null): string {
  const rows: string[][] = [];
  const row = (label: string, c: StoreCounts | null) => {
    if (!c) return;
    const inodes = c.imageLayers.inodes + c.containerLayers.inodes;
    const disk = c.imageLayers.diskBytes + c.containerLayers.diskBytes;
    rows.push([label, count(inodes), size(disk), String(disk)]);
  };
  row('legacy overlay (before)', before);
  row('overlay2 (after)', after);
  return textTable(['', 'INODES', 'DISK', 'DISK\nbytes'].map((head, i) => ({ head, right: i > 0 })), rows, 80);
}

export function renderMigrate(r: MigrateResult): string {
  const lines: string[] = r.plan ? renderPlan(r.plan) : [];
  if (r.dryRun) {
    lines.push('dry run: nothing written');
    if (r.before) lines.push('', countsTable(r.before, null));
    return lines.join('\n') + '\n';
  }
  if (r.resumedCommit) lines.push('finished the commit of an interrupted run');
  if (r.plan) lines.push(`wrote ${r.written.length} layers (${r.plan.layers.length - r.written.length} already staged by an earlier run)`);
  if (r.verified.images > 0) lines.push(`verified: ${r.verified.images} image stacks mounted, ${count(r.verified.entries)} entries equal to the legacy roots`);
  if (r.added) lines.push(`new on disk (measured): ${count(r.added.inodes)} inodes, ${size(r.added.bytes)} (${r.added.bytes} bytes)`);
  lines.push('', countsTable(r.before, r.after));
  lines.push(r.removedLegacy ? 'legacy overlay/ and image/overlay/ removed' : r.plan?.mode === 'in-place' ? 'legacy overlay/ and image/overlay/ kept; --remove-legacy drops them' : '');
  return lines.join('\n') + '\n';
}

export async function migrateCommand(root: string, opts: MigrateCliOptions, io: Io): Promise<MigrateResult> {
  checkJsonOption(opts.json, checkedRoot(root));
  const result = await migrate(root, opts);
  emitResult(io, opts.json, result, () => renderMigrate(result));
  return result;
}
