// The terminal summary (cli-table3) and the one-line progress shown while running.
import Table from 'cli-table3';
import type { Progress } from '../session.js';
import type { RunModel } from './model.js';

export function renderTable(m: RunModel): string {
  const table = new Table({
    head: ['suite', 'scenarios', 'pass', 'accepted', 'unexpected', 'seconds'],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right'],
    style: { head: [], border: [] },
  });
  for (const s of m.suites) {
    const pass = m.info.reference ? s.pass : s.recorded;
    table.push([s.suite + (s.error ? ' (error)' : ''), s.scenarios, pass, s.accepted, s.diverged, (s.ms / 1000).toFixed(1)]);
  }
  const t = m.totals;
  table.push(['total', t.scenarios, m.info.reference ? t.pass : t.recorded, t.accepted, t.diverged, (t.ms / 1000).toFixed(1)]);
  return table.toString();
}

/** `[basic] 12/60 ok=11 accepted=1 unexpected=0 shrinking=34`, rewritten in place on a TTY. */
export class ProgressLine {
  private counts = { ok: 0, accepted: 0, unexpected: 0 };
  private suite = '';
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(p: Progress): void {
    if (p.suite !== this.suite) {
      this.suite = p.suite;
      this.counts = { ok: 0, accepted: 0, unexpected: 0 };
    }
    if (p.shrinks === 0 && p.status) {
      if (p.status === 'pass' || p.status === 'recorded') this.counts.ok++;
      else if (p.status === 'accepted') this.counts.accepted++;
      else this.counts.unexpected++;
    }
    const c = this.counts;
    const line = `[${p.suite}] ${p.done}/${p.total} ok=${c.ok} accepted=${c.accepted} unexpected=${c.unexpected}${p.shrinks ? ` shrinking=${p.shrinks}` : ''}`;
    if (this.stream.isTTY) this.stream.write(`\r\x1b[K${line}`);
  }

  done(): void {
    if (this.stream.isTTY && this.suite) this.stream.write('\r\x1b[K');
  }
}
