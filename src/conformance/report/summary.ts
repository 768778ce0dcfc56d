// summary.json: the machine-readable result of a run (its contract is in reports/README.md).
import type { RunModel } from './model.js';

export function renderSummary(m: RunModel, exitCode: number): string {
  const summary = {
    tool: 'ovl-check',
    ...m.info,
    exitCode,
    totals: m.totals,
    suites: m.suites,
    categories: m.categories,
    rules: m.rules,
    staleRules: m.staleRules,
    layerChanges: m.freshness,
    unexpected: m.unexpected.map((u) => ({
      id: u.id,
      suite: u.suite,
      category: u.category ?? null,
      alsoIn: u.alsoIn,
      run: u.run,
      shrinks: u.shrinks,
      shrunk: u.shrunk,
      partingOp: u.partingOp ?? null,
      ops: u.minimal.scenario.ops.length,
      differences: u.minimal.classified.filter((c) => !c.accepted).length,
      json: u.json,
      repro: u.repro,
      replay: u.replay,
      fcPath: u.fcPath ?? null,
    })),
  };
  return JSON.stringify(summary, null, 2) + '\n';
}
