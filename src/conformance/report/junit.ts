// junit.xml: one testsuite per suite, one testcase per generated scenario; a scenario with an
// unexpected divergence is a failure whose message names the first differing field.
import type { Difference } from '../diff.js';
import type { Classified } from '../divergences.js';
import { FRESHNESS_WORDS } from '../freshness.js';
import type { RunModel } from './model.js';
import { shownName } from '../../format/byte-names.js';

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '');

export function describeDifference(d: Difference): string {
  const at = d.where === 'op' ? `op ${d.opIndex! + 1} ${d.op}` : d.path !== undefined ? `${d.where} ${shownName(d.path)}` : d.where;
  return `${at}: ${d.field}: reference ${JSON.stringify(d.reference)}, target ${JSON.stringify(d.target)}`;
}

function acceptedHow(c: Classified): string {
  const derived = c.derivedFrom !== undefined ? ', derived' : '';
  return `${c.accepted}${derived}${c.freshness ? `, target ${FRESHNESS_WORDS[c.freshness]} the kernel` : ''}`;
}

export function renderJunit(m: RunModel): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const t = m.totals;
  lines.push(`<testsuites name="ovl-check ${esc(m.info.target)}" tests="${t.scenarios}" failures="${t.diverged}" time="${(t.ms / 1000).toFixed(3)}">`);
  for (const s of m.suites) {
    const results = m.results.filter((r) => r.suite === s.suite);
    lines.push(`  <testsuite name="${esc(s.suite)}" tests="${s.scenarios}" failures="${s.diverged}" errors="${s.error ? 1 : 0}" time="${(s.ms / 1000).toFixed(3)}">`);
    lines.push(`    <properties><property name="seed" value="${s.seed}"/><property name="target" value="${esc(m.info.target)}"/></properties>`);
    for (const r of results) {
      const name = `${s.suite} #${r.index}`;
      lines.push(`    <testcase classname="ovl-check.${esc(s.suite)}" name="${esc(name)}" time="${(r.ms / 1000).toFixed(3)}">`);
      const unexpected = r.classified.filter((c) => !c.accepted);
      if (r.status === 'diverged') {
        const u = m.unexpected.find((x) => x.suite === s.suite && x.run === r.index);
        const msg = describeDifference(unexpected[0]!.difference);
        const body = unexpected.map((c) => describeDifference(c.difference)).join('\n') + (u ? `\nminimal: ${u.json}\nreplay: ${u.replay}` : '');
        lines.push(`      <failure message="${esc(msg)}" type="divergence">${esc(body)}</failure>`);
      }
      const accepted = r.classified.filter((c) => c.accepted);
      if (accepted.length) {
        lines.push(`      <system-out>${esc(accepted.map((c) => `accepted (${acceptedHow(c)}): ${describeDifference(c.difference)}`).join('\n'))}</system-out>`);
      }
      lines.push('    </testcase>');
    }
    if (s.error) lines.push(`    <testcase classname="ovl-check.${esc(s.suite)}" name="${esc(s.suite)} (suite)"><error message="${esc(s.error)}"/></testcase>`);
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}
