// report.md: a summary table per suite and per category, then each unexpected divergence with
// its minimal scenario, the op where the targets part, both sides next to each other, and the
// replay command.
import { scenarioToString } from '../arbitraries.js';
import type { Difference } from '../diff.js';
import { describeOp } from '../ops.js';
import type { RunModel, UnexpectedDivergence } from './model.js';

const cell = (v: unknown) => '`' + JSON.stringify(v ?? null).replace(/\|/g, '\\|').replace(/`/g, "'") + '`';

function where(d: Difference): string {
  if (d.where === 'op') return `op ${d.opIndex! + 1}`;
  return d.path !== undefined ? `${d.where} \`${d.path}\`` : d.where;
}

function divergenceSection(u: UnexpectedDivergence, target: string): string[] {
  const r = u.minimal;
  const out = [`### ${u.id}`, ''];
  out.push(`Suite \`${u.suite}\`, generated run ${u.run}, shrunk in ${u.shrinks} steps to ${r.scenario.ops.length} op(s).`, '');
  out.push('Minimal scenario:', '', '```', scenarioToString(r.scenario), '```', '');
  if (u.partingOp !== undefined) {
    out.push(`The targets part at op ${u.partingOp + 1}: \`${describeOp(r.scenario.ops[u.partingOp]!)}\``, '');
  } else out.push('Every op returned the same; the targets part in the final state.', '');
  out.push(`| where | field | kernel | ${target} | accepted |`, '|---|---|---|---|---|');
  for (const c of r.classified) {
    const d = c.difference;
    out.push(`| ${where(d)} | ${d.field} | ${cell(d.reference)} | ${cell(d.target)} | ${c.accepted ?? ''} |`);
  }
  if (r.target.failure) out.push('', `Target failure: ${r.target.failure.phase}: ${r.target.failure.reason}`);
  out.push('', 'Replay:', '', '```sh', u.replay, `bash ${u.repro}    # standalone, kernel; MOUNT_CMD='…' for another target`, '```', '');
  return out;
}

export function renderMarkdown(m: RunModel): string {
  const i = m.info;
  const out = [`# ovl-check: ${i.target} vs ${i.reference ?? '(recording only)'}`, ''];
  out.push(`Started ${i.startedAt}, ${(i.ms / 1000).toFixed(1)} s, seed ${i.seed}. Command: \`${i.command}\``, '');
  out.push('| suite | scenarios | pass | accepted | unexpected | recorded | seconds |', '|---|---:|---:|---:|---:|---:|---:|');
  for (const s of m.suites) {
    out.push(`| ${s.suite}${s.error ? ' (error)' : ''} | ${s.scenarios} | ${s.pass} | ${s.accepted} | ${s.diverged} | ${s.recorded} | ${(s.ms / 1000).toFixed(1)} |`);
  }
  const t = m.totals;
  out.push(`| **total** | ${t.scenarios} | ${t.pass} | ${t.accepted} | ${t.diverged} | ${t.recorded} | ${(t.ms / 1000).toFixed(1)} |`, '');
  if (m.categories.length) {
    out.push('## Differences by category', '', 'Accepted ones name their rule in suites/divergences.json; unexpected ones are `where:field`.', '');
    out.push('| suite | category | accepted | differences |', '|---|---|---|---:|');
    for (const c of m.categories) out.push(`| ${c.suite} | ${c.category} | ${c.accepted ? 'yes' : '**no**'} | ${c.count} |`);
    out.push('');
  }
  for (const s of m.suites.filter((x) => x.error)) out.push(`Suite ${s.suite} error: ${s.error}`, '');
  if (m.unexpected.length) {
    out.push('## Unexpected divergences', '');
    for (const u of m.unexpected) out.push(...divergenceSection(u, i.target));
  } else if (i.reference) out.push('No unexpected divergences.', '');
  return out.join('\n');
}
