// The overlay implementations the FUSE workloads run on. Each mounts N lowers (top first) + upper +
// work on a merged dir and unmounts it; a target whose program is missing or refuses to mount is
// reported "unavailable (reason)" by its probe, never measured.
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatMountOptions, type MountOptions } from '../format/index.js';
import { firstLine, isMounted, mountOverlay, runTool, umountSurely } from '../sys/index.js';
import { kick, unwatch, watch } from './guard.js';

export interface Layers {
  /** top first, as in lowerdir= */
  lowers: string[];
  upper: string;
  work: string;
}

export interface FsTarget {
  name: string;
  /** Mount `layers` on `merged`; resolves once the merged dir is a live mount. */
  mount(layers: Layers, merged: string): Promise<void>;
  /** The command a user types to mount `layers` on `merged` (it returns once the mount is live). */
  command?(layers: Layers, merged: string): string[];
}

function options(layers: Layers, extra: MountOptions['extra'] = {}): MountOptions {
  return { lowerdirs: layers.lowers, datadirs: [], upperdir: layers.upper, workdir: layers.work, extra };
}

/** Kernel overlayfs through the new mount API (500 absolute lowers fit). */
export const kernel: FsTarget = {
  name: 'kernel',
  async mount(layers, merged) {
    mountOverlay(options(layers), merged);
  },
  command: (layers, merged) => ['mount', '-t', 'overlay', 'overlay', '-o', formatMountOptions(options(layers)), merged],
};

/** Start a FUSE program that detaches once mounted, and insist the mount is really there. */
async function mountDaemon(name: string, file: string, args: string[], merged: string): Promise<void> {
  const r = await runTool(file, args, { timeoutMs: 60_000 });
  if (r.exitCode !== 0) throw new Error(`${name} mount failed: ${firstLine(r)}`);
  // A daemon may return a moment before the kernel lists the mount.
  for (let i = 0; i < 100 && !isMounted(merged); i++) await new Promise((res) => setTimeout(res, 20));
  if (!isMounted(merged)) throw new Error(`${name} exited 0 but ${merged} is not a mount`);
  // Listed is not serving: a daemon may still be starting (ovl-fuse's node form returns right
  // after mount(2), before its worker answers INIT). One stat waits for it, so a timed step that
  // follows a (re)mount measures the filesystem, not the daemon's start-up.
  statSync(merged);
}

/** Debian's fuse-overlayfs, with its defaults. */
export const fuseOverlayfs: FsTarget = {
  name: 'fuse-overlayfs',
  async mount(layers, merged) {
    await mountDaemon('fuse-overlayfs', 'fuse-overlayfs', ['-o', formatMountOptions(options(layers)), merged], merged);
  },
  command: (layers, merged) => ['fuse-overlayfs', '-o', formatMountOptions(options(layers)), merged],
};

/** The previous transport, measured beside the default one in the same run. */
export const PREVIOUS_TRANSPORT = 'fuse-native';
export const OVL_FUSE_PREVIOUS = `ovl-fuse/${PREVIOUS_TRANSPORT}`;

/**
 * The project's ovl-fuse, run from `bin` (a checkout's bin/ovl-fuse, or another build's), on its
 * default transport, or with `-o transport=T` (named `ovl-fuse/T`).
 */
export function ovlFuse(bin: string, transport?: string): FsTarget {
  const name = transport ? `ovl-fuse/${transport}` : 'ovl-fuse';
  const extra: MountOptions['extra'] = transport ? { transport } : {};
  return {
    name,
    async mount(layers, merged) {
      await mountDaemon(name, process.execPath, [bin, '-o', formatMountOptions(options(layers, extra)), merged], merged);
    },
    // As a user runs it: bin/ovl-fuse's sh part detaches (the form above is node's own). A bin that
    // is not executable (a stand-in module) runs with node.
    command: (layers, merged) => [...(executable(bin) ? [] : [process.execPath]), bin, '-o', formatMountOptions(options(layers, extra)), merged],
  };
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Can this target mount at all? A one-lower mount in `scratch` must show the lower's file.
 * Returns null when it works, else the reason (the program's own first line of complaint).
 */
export async function probe(target: FsTarget, scratch: string): Promise<string | null> {
  const dirs = ['lower', 'upper', 'work', 'merged'].map((d) => join(scratch, d)) as [string, string, string, string];
  rmSync(scratch, { recursive: true, force: true });
  for (const d of dirs) mkdirSync(d, { recursive: true });
  writeFileSync(join(dirs[0], 'probe'), 'probe\n');
  try {
    kick();
    await target.mount({ lowers: [dirs[0]], upper: dirs[1], work: dirs[2] }, dirs[3]);
    watch(dirs[3]);
    const seen = readFileSync(join(dirs[3], 'probe'), 'utf8');
    return seen === 'probe\n' ? null : `the merged dir shows ${JSON.stringify(seen)} for a lower file`;
  } catch (err) {
    return (err as Error).message.split('\n')[0]!;
  } finally {
    unwatch(dirs[3]);
    if (isMounted(dirs[3])) await umountSurely(dirs[3]);
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A project program to run: an explicit path, else this checkout's bin/NAME (needs its dist build). */
export function locateBin(name: string, explicit: string | undefined): { bin: string } | { reason: string } {
  const bin = explicit ?? new URL(`../../bin/${name}`, import.meta.url).pathname;
  if (!existsSync(bin)) return { reason: `${bin} not found` };
  // A checkout's bin/ shim only imports the build (../dist/cli/NAME.js, or its bundle in
  // ../dist/bundle/ in later builds): without the build it cannot run.
  const checkout = join(bin, '..', '..');
  const dist = join(checkout, 'dist', 'cli', `${name}.js`);
  const built = existsSync(dist) || existsSync(join(checkout, 'dist', 'bundle', `${name}.js`));
  if (existsSync(join(checkout, 'package.json')) && !built) return { reason: `${dist} not built (npm run build)` };
  return { bin };
}
