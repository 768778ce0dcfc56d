// Leave nothing mounted: every mount below a prefix is unmounted (deepest first), on the normal
// path, on a failure and on Ctrl-C.
import { listMounts, umountSurely } from '../sys/index.js';

export async function unmountBelow(prefix: string): Promise<string[]> {
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const stale = listMounts()
    .map((m) => m.target)
    .filter((t) => t.startsWith(base))
    .sort((a, b) => b.length - a.length);
  for (const t of stale) await umountSurely(t);
  return stale;
}
