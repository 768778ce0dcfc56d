// The convert command's flow: convert, optionally verify every stack, print lowerdir= strings and
// estimate-vs-measured numbers. The CLI maps "a stack differs" to exit 1.
import { convert, type ConvertResult } from './convert.js';
import { checkedRoot, type Io } from './analyze-cmd.js';
import { checkJsonOption, emitResult } from './output-path.js';
import type { Counts } from './types.js';
import { textTable } from './text-table.js';
import { count, percent, siSize as size } from './units.js';
import { checkEngine, probeEngine, verifyStack, type VerifyResult } from './verify.js';

export interface ConvertOptions {
  out: string;
  image?: string[];
  verify?: boolean;
  verifyWith?: string;
  /** write the ConvertOutcome as JSON to this file */
  json?: string;
}

export interface ConvertOutcome {
  result: ConvertResult;
  verified: VerifyResult[];
}

function countsRow(label: string, c: Counts): string[] {
  return [label, count(c.entries), count(c.inodes), size(c.regularBytes), size(c.diskBytes), String(c.regularBytes), String(c.diskBytes)];
}

export function renderConvert({ result, verified }: ConvertOutcome, width = 80): string {
  const lines = [`Converted ${result.written.length} layers (${result.reused.length} already done) into ${result.out}`, ''];
  for (const img of result.images) lines.push(`${img.name} (${img.id.slice(7, 19)}):`, `  ${img.lowerdir}`);
  const tab = textTable(['', 'NAMES', 'INODES', 'FILE DATA', 'DISK', 'FILE DATA\nbytes', 'DISK\nbytes'].map((head, i) => ({ head, right: i > 0 })),
    [countsRow('legacy roots now', result.legacy), countsRow('analyze estimate', result.estimate), countsRow('measured on output', result.measured)], width);
  const s = result.saved;
  lines.push('', tab, `saved (measured): ${count(s.inodes)} inodes (${percent(s.inodesPercent)}), ${size(s.bytes)} of disk (${percent(s.percent)})`);
  for (const v of verified) {
    if (v.identical) lines.push(`verify ${v.image}: identical (${count(v.compared)} entries compared)`);
    else lines.push(`verify ${v.image}: DIFFERENT`, ...v.differences.map((d) => `  ${d.path}: ${d.what}`));
  }
  return lines.join('\n') + '\n';
}

export async function convertCommand(root: string, opts: ConvertOptions, io: Io): Promise<ConvertOutcome> {
  const verify = opts.verify === true || opts.verifyWith !== undefined;
  const engine = verify ? await probeEngine(opts.verifyWith ?? 'kernel') : checkEngine('kernel');
  checkJsonOption(opts.json, checkedRoot(root));
  const result = await convert(root, opts.out, opts.image ?? []);
  const verified: VerifyResult[] = [];
  if (verify) {
    for (const img of result.images) verified.push(await verifyStack(img.name, img.lowers, img.legacyRoot, engine));
  }
  const outcome = { result, verified };
  emitResult(io, opts.json, outcome, () => renderConvert(outcome));
  return outcome;
}
