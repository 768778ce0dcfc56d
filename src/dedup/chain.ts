// Docker's layer identities: chain IDs folded from an image's diff IDs (moby layer.CreateChainID).
import { createHash } from 'node:crypto';

/** chainID(0) = diffID(0); chainID(n) = sha256 of "chainID(n-1) diffID(n)" (both with their sha256: prefix). */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diff of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? diff : 'sha256:' + createHash('sha256').update(`${prev} ${diff}`).digest('hex'));
  }
  return out;
}

/** The hex part of a `sha256:<hex>` digest, or null when it is not one. */
export function digestHex(digest: string): string | null {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest.trim());
  return m ? m[1]! : null;
}
