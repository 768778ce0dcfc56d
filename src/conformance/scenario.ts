// What a conformance scenario is, as plain JSON-able data: the layers to build before mounting
// (lowers top first, then the upper) and the operations to run. Both targets get the same data,
// so a scenario saved to disk replays byte for byte.
import type { Op } from './ops.js';
import { shownName } from '../format/byte-names.js';

/**
 * Who owns a file or dir and what POSIX ACLs it has, for scenarios that run ops as another user:
 * `owner` is a uid, given as uid and gid (root's otherwise); ACLs in short text
 * (src/format/posix-acl.ts: "u::rw-,u:1000:r--,g::r--,m::r--,o::---").
 */
export interface Access {
  owner?: number;
  acl?: string;
}

/** One object in a layer, at a path relative to the layer root ('d/a'). */
export type LayerEntry =
  | ({ path: string; kind: 'file'; content: string; mode: number; xattrs?: Record<string, string> } & Access)
  | ({ path: string; kind: 'dir'; mode: number; opaque?: boolean; xattrs?: Record<string, string>; defaultAcl?: string } & Access)
  | { path: string; kind: 'symlink'; target: string }
  /** A second name for the file at `to` in the same layer. */
  | { path: string; kind: 'hardlink'; to: string }
  | { path: string; kind: 'fifo'; mode: number }
  /** A character device (major:minor other than 0:0, which would be a whiteout). */
  | { path: string; kind: 'chr'; mode: number; major: number; minor: number }
  /** A kernel whiteout (char 0/0) already present in the layer. */
  | { path: string; kind: 'whiteout' }
  /** A zero-size file carrying the overlay `whiteout` xattr (read, never written, by the kernel). */
  | { path: string; kind: 'xwhiteout' }
  /** An executable: a copy of a static busybox, mode 0755 (for exec, spawn and ETXTBSY). */
  | { path: string; kind: 'exe' };

export interface Layer {
  entries: LayerEntry[];
}

export interface Scenario {
  /** Top first, as in lowerdir=. At least one. */
  lowers: Layer[];
  upper: Layer;
  ops: Op[];
  /** Extra overlay mount options (e.g. redirect_dir=on); targets that cannot pass them refuse the scenario. */
  options?: Record<string, string | true>;
  /** Put the lowers on a tmpfs of their own (layers on different filesystems, spec S50). */
  separateLowerFs?: boolean;
}

/** The merged paths whose objects have a POSIX ACL in a layer of `s`, or get or lose one by an op. */
export function scenarioAclPaths(s: Scenario): Set<string> {
  const paths = new Set<string>();
  for (const l of [...s.lowers, s.upper]) {
    for (const e of l.entries) if ((e.kind === 'file' || e.kind === 'dir') && (e.acl || (e.kind === 'dir' && e.defaultAcl))) paths.add(e.path);
  }
  for (const o of s.ops) {
    if (o.op === 'setacl' || ((o.op === 'setxattr' || o.op === 'removexattr') && o.name.startsWith('system.posix_acl_'))) paths.add(o.path);
  }
  return paths;
}

/**
 * What classify (divergences.ts) may know of `s`'s lowers: every name they hold (a parent dir
 * too, which the builder makes), and their hard links as [name, the name it links to].
 */
export function scenarioLowerFacts(s: Scenario): { lowerPaths: Set<string>; lowerLinks: Array<[string, string]> } {
  // The root is every lower's.
  const lowerPaths = new Set<string>(['.']);
  const lowerLinks: Array<[string, string]> = [];
  for (const l of s.lowers) {
    for (const e of l.entries) {
      for (let p = e.path; p.includes('/'); p = p.slice(0, p.lastIndexOf('/'))) lowerPaths.add(p.slice(0, p.lastIndexOf('/')));
      lowerPaths.add(e.path);
      if (e.kind === 'hardlink') lowerLinks.push([e.path, e.to]);
    }
  }
  return { lowerPaths, lowerLinks };
}

/** Fixed times for everything built in a layer: old enough that any write's "now" is clearly newer. */
export const SETUP_TIME_SEC = 1_000_000_000;

/** Times given by generated utimes ops stay below this, so "set on purpose" and "now" never mix. */
export const OLD_TIME_LIMIT_SEC = 1_500_000_000;

/** A layer's name in reports and ops: 'l1' is the top lower, 'upper' the upper. */
export function layerName(index: number): string {
  return index < 0 ? 'upper' : `l${index + 1}`;
}

/** ` uid=1000 acl=… default=…` for an entry that has them. */
function accessToString(e: Access & { defaultAcl?: string }): string {
  return (e.owner !== undefined ? ` uid=${e.owner}` : '') + (e.acl ? ` acl=${e.acl}` : '') + (e.defaultAcl ? ` default=${e.defaultAcl}` : '');
}

function entryToString(e: LayerEntry): string {
  switch (e.kind) {
    case 'file': {
      const x = e.xattrs && Object.keys(e.xattrs).length ? ` xattrs=${JSON.stringify(e.xattrs)}` : '';
      return `${e.path}=${JSON.stringify(e.content)} ${e.mode.toString(8)}${accessToString(e)}${x}`;
    }
    case 'dir':
      return `${e.path}/ ${e.mode.toString(8)}${e.opaque ? ' opaque' : ''}${accessToString(e)}`;
    case 'symlink':
      return `${e.path} -> ${e.target}`;
    case 'hardlink':
      return `${e.path} == ${e.to}`;
    case 'fifo':
      return `${e.path} fifo ${e.mode.toString(8)}`;
    case 'chr':
      return `${e.path} chr ${e.major}:${e.minor} ${e.mode.toString(8)}`;
    case 'whiteout':
      return `${e.path} whiteout`;
    case 'xwhiteout':
      return `${e.path} xattr-whiteout`;
    case 'exe':
      return `${e.path} busybox 755`;
  }
}

/** A layer on one line, e.g. `l1: a="x" 644, d/ 755`. */
export function layerToString(name: string, layer: Layer): string {
  // A name that is not UTF-8 shows its bytes (\xNN), not U+FFFD.
  return shownName(`${name}: ${layer.entries.length ? layer.entries.map(entryToString).join(', ') : '(empty)'}`);
}
