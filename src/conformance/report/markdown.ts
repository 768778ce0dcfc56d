// report.md: a summary table per suite and per category, then each unexpected divergence with
// its minimal scenario, the op where the targets part, both sides next to each other, and the
// replay command.
import { scenarioToString } from '../arbitraries.js';
import type { Difference } from '../diff.js';
import { FRESHNESS_WORDS } from '../freshness.js';
import { describeOp } from '../ops.js';
import { shownName } from '../../format/byte-names.js';
import { type RunModel, shrinkText, type UnexpectedDivergence } from './model.js';

const cell = (v: unknown) => '`' + JSON.stringify(v ?? null).replace(/\|/g, '\\|').replace(/`/g, "'") + '`';

function where(d: Difference): string {
  if (d.where === 'op') return `op ${d.opIndex! + 1}`;
  return d.path !== undefined ? `${d.where} \`${shownName(d.path)}\`` : d.where;
}

function divergenceSection(u: UnexpectedDivergence): string[] {
  const r = u.minimal;
  const out = [`### ${u.id}`, ''];
  out.push(`Suite \`${u.suite}\`, run ${u.run}: ${shrinkText(u)}.`, '');
  if (u.category) {
    const also = u.alsoIn.length ? `; the same kind also in run(s) ${u.alsoIn.join(', ')} (not shrunk)` : '';
    out.push(`Category \`${u.category}\`${also}.`, '');
  }
  out.push('Minimal scenario:', '', '```', scenarioToString(r.scenario), '```', '');
  if (u.partingOp !== undefined) {
    out.push(`The targets part at op ${u.partingOp + 1}: \`${describeOp(r.scenario.ops[u.partingOp]!)}\``, '');
  } else out.push('Every op returned the same; the targets part in the final state.', '');
  out.push('| row. where | field | kernel | target | accepted |', '|---|---|---|---|---|');
  r.classified.forEach((c, i) => {
    const d = c.difference;
    const from = c.derivedFrom !== undefined ? ` (derived from row ${c.derivedFrom + 1})` : '';
    out.push(`| ${i + 1}. ${where(d)} | ${d.field} | ${cell(d.reference)} | ${cell(d.target)} | ${c.accepted ?? ''}${from} |`);
  });
  if (r.target.failure) out.push('', `Target failure: ${r.target.failure.phase}: ${r.target.failure.reason}`);
  out.push('', 'Replay:', '', '```sh', u.replay, `bash ${u.repro}    # standalone, kernel; MOUNT_CMD='…' for another target`, '```', '');
  return out;
}

function rulesSection(m: RunModel): string[] {
  if (!m.info.reference || (!m.rules.length && !m.staleRules.length)) return [];
  const out = ['## Accepted, by rule', '', 'Each accepted difference names its rule in suites/divergences.json; derived ones follow from an accepted op difference on the same names.', ''];
  if (m.rules.length) {
    out.push('| rule | scenarios | differences | derived |', '|---|---:|---:|---:|');
    for (const r of m.rules) out.push(`| ${r.id} | ${r.scenarios} | ${r.differences} | ${r.derived} |`);
    out.push('');
  }
  if (m.staleRules.length) out.push(`Stale rules (apply to this target, matched nothing in this run): ${m.staleRules.map((id) => '`' + id + '`').join(', ')}`, '');
  return out;
}

/** Observations judged per scenario are many; the report shows the first few scenarios in full. */
const LAYER_CHANGE_SCENARIOS = 10;

function layerChangeSection(m: RunModel): string[] {
  if (!m.freshness.length) return [];
  const out = ['## Layers changed while mounted', '', 'Each difference after a layer changed under the mount, judged by a mount made right after the change: is the target fresher than, staler than, or unlike the kernel? (Identical observations are as fresh as the kernel and not listed.)', ''];
  out.push('| suite | scenarios | target fresher | target staler | unlike both |', '|---|---:|---:|---:|---:|');
  for (const f of m.freshness) out.push(`| ${f.suite} | ${f.scenarios} | ${f.fresher} | ${f.staler} | ${f.unlike} |`);
  out.push('');
  for (const r of m.layerChanges.slice(0, LAYER_CHANGE_SCENARIOS)) {
    out.push(`### ${r.suite} #${r.index}`, '', '| where | field | kernel | target | target is |', '|---|---|---|---|---|');
    for (const o of r.observations) out.push(`| ${where(o.difference)} | ${o.difference.field} | ${cell(o.difference.reference)} | ${cell(o.difference.target)} | ${FRESHNESS_WORDS[o.freshness]} the kernel |`);
    out.push('');
  }
  if (m.layerChanges.length > LAYER_CHANGE_SCENARIOS) out.push(`(${m.layerChanges.length - LAYER_CHANGE_SCENARIOS} more scenarios in summary.json's counts; replay one to see it.)`, '');
  return out;
}

export function renderMarkdown(m: RunModel): string {
  const i = m.info;
  // The target goes in code spans: exec templates may hold characters Markdown would read ('|', '*').
  const out = [`# ovl-check: \`${i.target}\` vs ${i.reference ?? '(recording only)'}`, ''];
  out.push(`Started ${i.startedAt}, ${(i.ms / 1000).toFixed(1)} s, seed ${i.seed}. Command: \`${i.command}\``, '');
  out.push('| suite | scenarios | pass | accepted | unexpected | recorded | seconds |', '|---|---:|---:|---:|---:|---:|---:|');
  for (const s of m.suites) {
    out.push(`| ${s.suite}${s.error ? ' (error)' : ''} | ${s.scenarios} | ${s.pass} | ${s.accepted} | ${s.diverged} | ${s.recorded} | ${(s.ms / 1000).toFixed(1)} |`);
  }
  const t = m.totals;
  out.push(`| **total** | ${t.scenarios} | ${t.pass} | ${t.accepted} | ${t.diverged} | ${t.recorded} | ${(t.ms / 1000).toFixed(1)} |`, '');
  if (i.reference && t.scenarios) {
    const pct = (n: number) => `${Math.round((100 * n) / t.scenarios)}%`;
    out.push(`**${t.pass} of ${t.scenarios} scenarios (${pct(t.pass)}) identical to the kernel**; ${t.accepted} (${pct(t.accepted)}) differ only as accepted rules say; ${t.diverged} unexpected.`, '');
  }
  out.push(...rulesSection(m), ...layerChangeSection(m));
  if (m.categories.length) {
    out.push('## Differences by category', '', 'Accepted ones name their rule in suites/divergences.json; unexpected ones are `where:field`.', '');
    out.push('| suite | category | accepted | scenarios | differences |', '|---|---|---|---:|---:|');
    for (const c of m.categories) out.push(`| ${c.suite} | ${c.category} | ${c.accepted ? 'yes' : '**no**'} | ${c.scenarios} | ${c.count} |`);
    out.push('');
  }
  for (const s of m.suites.filter((x) => x.error)) out.push(`Suite ${s.suite} error: ${s.error}`, '');
  if (m.unexpected.length) {
    out.push('## Unexpected divergences', '');
    for (const u of m.unexpected) out.push(...divergenceSection(u));
  } else if (i.reference) out.push('No unexpected divergences.', '');
  return out.join('\n');
}
