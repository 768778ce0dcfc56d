// A one-line progress bar for long scans, on a TTY stream only (stderr); silent otherwise so
// pipes, logs and JSON on stdout stay clean. Hand-written (20 lines) rather than another dependency.
import type { Progress } from './pipeline.js';
import { siSize as size } from './units.js';

export function ttyProgress(stream: NodeJS.WriteStream): Progress | undefined {
  if (!stream.isTTY) return undefined;
  let phase = '';
  let total = 0;
  let last = 0;
  const label = (n: number): string => (phase === 'hash' ? size(n) : String(n));
  return {
    phase(name, t) {
      phase = name;
      total = t;
    },
    tick(done) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const width = 30;
      const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : 0;
      stream.write(`\r${phase} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${label(done)}/${label(total)}\x1b[K`);
    },
    done() {
      stream.write('\r\x1b[K');
    },
  };
}
