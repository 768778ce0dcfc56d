// The overlay implementations a scenario can run on, behind one interface: mount these layer
// dirs, unmount them, or tear them down hard when the implementation hangs. `kernel` mounts
// through fsconfig; `exec:CMD` runs a mount command template; `fuse` is ovl-fuse run that way.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OvlError, UsageError } from '../errors.js';
import { escapePath, parseMountOptions } from '../format/index.js';
import { forceUnmount, mountOverlay, mountWithCommand, umountSurely } from '../sys/index.js';
import { cleanup } from './cleanup.js';

export interface LayerPaths {
  /** The dir everything lives in; exec commands run here. */
  root: string;
  lowers: string[];
  upper: string;
  work: string;
  merged: string;
}

export interface Mounted {
  unmount(): Promise<void>;
  /** Synchronous hard teardown: kill the daemon, abort FUSE, detach. */
  abort(): void;
}

export interface Target {
  /** As given on the command line: 'kernel', 'fuse' or 'exec:CMD'. */
  readonly name: string;
  mount(p: LayerPaths, options: Record<string, string | true>, timeoutMs: number): Promise<Mounted>;
}

function optionString(options: Record<string, string | true>): string {
  return Object.entries(options)
    .map(([k, v]) => (v === true ? k : `${k}=${v}`))
    .join(',');
}

export const kernelTarget: Target = {
  name: 'kernel',
  async mount(p, options) {
    const o = parseMountOptions(optionString(options));
    mountOverlay({ ...o, lowerdirs: p.lowers, upperdir: p.upper, workdir: p.work }, p.merged);
    return { unmount: () => umountSurely(p.merged), abort: () => forceUnmount(p.merged) };
  },
};

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** mount(2) takes one page of options; above this the layer paths are given relative to the root. */
const MAX_OPTION_BYTES = 3000;

/** Fill a mount command template; paths are shell-quoted, relative to `p.root` when they would be too long. */
export function expandTemplate(template: string, p: LayerPaths, options: Record<string, string | true>): string {
  const rel = (abs: string) => (abs.startsWith(p.root + '/') ? abs.slice(p.root.length + 1) : abs);
  let lowerdir = p.lowers.map(escapePath).join(':');
  const short = lowerdir.length > MAX_OPTION_BYTES;
  const path = (abs: string) => (short ? rel(abs) : abs);
  if (short) lowerdir = p.lowers.map((l) => escapePath(rel(l))).join(':');
  const extra = optionString(options);
  if (extra && !template.includes('{options}')) {
    throw new OvlError('EOPNOTSUPP', `scenario needs mount options "${extra}" but the command template has no {options}`);
  }
  return template
    .replaceAll('{lowerdir}', shq(lowerdir))
    .replaceAll('{upperdir}', shq(escapePath(path(p.upper))))
    .replaceAll('{workdir}', shq(escapePath(path(p.work))))
    .replaceAll('{merged}', shq(path(p.merged)))
    .replaceAll('{options}', extra ? ',' + extra : '');
}

/**
 * What a template must name: every suite writes through the mount and compares the upper after
 * unmount, so a read-only template (no upper and work dir) would only report divergences.
 */
const NEEDED = ['lowerdir', 'upperdir', 'workdir', 'merged'];
const KNOWN = [...NEEDED, 'options'];

/** Refuse a template missing a needed placeholder or naming one like ours that we do not fill (`${VAR}` is the shell's). */
function checkTemplate(template: string): void {
  const missing = NEEDED.filter((p) => !template.includes(`{${p}}`));
  if (missing.length > 0) {
    const all = NEEDED.map((p) => `{${p}}`);
    throw new UsageError(`--target exec: the command template needs ${all.slice(0, -1).join(' ')} and ${all.at(-1)}; missing ${missing.map((p) => `{${p}}`).join(' ')}: ${template}`);
  }
  // Only names that look like ours (a misspelt {lowerdirs}, {upper}, {mnt}): `{print}` in an awk
  // program, or any other braces the command itself uses, are the command's business.
  const ours = /lower|upper|work|merge|option|dir|mnt|mount|target/i;
  const unknown = [...template.matchAll(/(?<!\$)\{(\w+)\}/g)].map((m) => m[1]!).find((p) => !KNOWN.includes(p) && ours.test(p));
  if (unknown !== undefined) {
    throw new UsageError(`--target exec: unknown placeholder {${unknown}} in the command template (known: ${KNOWN.map((p) => `{${p}}`).join(' ')}): ${template}`);
  }
}

export function execTarget(template: string, name = `exec:${template}`): Target {
  checkTemplate(template);
  return {
    name,
    async mount(p, options, timeoutMs) {
      // Until the command has mounted, an interrupted run must be able to stop it.
      let unregister = () => {};
      const onSpawn = (kill: () => void) => (unregister = cleanup.killer(kill));
      const cmd = await mountWithCommand(expandTemplate(template, p, options), p.merged, { timeoutMs, cwd: p.root, onSpawn }).finally(() => unregister());
      return {
        unmount: async () => {
          await umountSurely(p.merged);
          cmd.kill();
        },
        abort: () => {
          cmd.kill();
          forceUnmount(p.merged);
        },
      };
    },
  };
}

/** The package root (dist/conformance/ or src/conformance/ → ../..). */
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * ovl-fuse started as the user would: `bin/ovl-fuse -o … MERGED` (it detaches once mounted), on
 * the node that runs ovl-check.
 */
export function fuseTarget(root = packageRoot): Target {
  if (!existsSync(`${root}dist/bundle/ovl-fuse.js`)) {
    throw new UsageError(
      `--target fuse: ovl-fuse is not built (${root}dist/bundle/ovl-fuse.js is missing: npm run build), or use --target exec:'CMD'`,
    );
  }
  const template = `OVL_FUSE_NODE=${shq(process.execPath)} ${shq(root + 'bin/ovl-fuse')} -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir}{options} {merged}`;
  return execTarget(template, 'fuse');
}

/** Parse `--target`: kernel | fuse | exec:CMD. */
export function parseTarget(spec: string): Target {
  if (spec === 'kernel') return kernelTarget;
  if (spec === 'fuse') return fuseTarget();
  if (spec.startsWith('exec:')) return execTarget(spec.slice(5));
  throw new UsageError(`--target ${spec}: expected kernel, fuse or exec:'MOUNT COMMAND'`);
}
