// The generated inputs of one run and their expected answers. Lowers are regenerated only when
// the sizes change (a marker file records them); the big random file and the tarball are cached
// separately because they are the slowest to make.
import { randomFillSync } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { firstLine, runTool, syncAll } from '../sys/index.js';
import { genClientProject } from './gen-client.js';
import { genAllTrees, readdirExpected, treeEntries, treePaths } from './gen-tree.js';
import type { Sizes } from './sizes.js';

export interface DataSet {
  root: string;
  sizes: Sizes;
  walkEntries: number;
  paths: string[];
  readdirNames: string[];
  bigFile: string;
  tarball: string;
  tarEntries: number;
  /** entries `find src` prints for the client workload's tree (the dir itself included) */
  clientEntries: number;
  /** the paths below the client lower's src/ as generated (recorded beside the lower, not in it) */
  clientSrcPaths: string[];
}

const MARKER = '.generated';

function treeKey(s: Sizes): string {
  const { walkFiles, deepLayers, readdirVisible, readdirHidden, copyupFiles, copyupBytes, readMiB, clientSource, clientProgs } = s;
  return JSON.stringify({ v: 2, walkFiles, deepLayers, readdirVisible, readdirHidden, copyupFiles, copyupBytes, readMiB, clientSource, clientProgs });
}

/** `mib` MiB of random bytes at `path`, made once. */
function ensureRandomFile(path: string, mib: number): void {
  if (existsSync(path) && statSync(path).size === mib * 1048576) return;
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  const buf = Buffer.alloc(1 << 20);
  try {
    for (let i = 0; i < mib; i++) writeSync(fd, randomFillSync(buf));
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** A tar of `source` (paths stored relative to /), made once per source. */
async function ensureTarball(cacheDir: string, source: string): Promise<{ tarball: string; entries: number }> {
  const tarball = join(cacheDir, `untar${source.replace(/\//g, '_')}.tar`);
  if (!existsSync(tarball)) {
    const r = await runTool('tar', ['-C', '/', '-cf', `${tarball}.tmp`, source.replace(/^\//, '')]);
    if (r.exitCode !== 0) throw new Error(`cannot tar ${source}: ${firstLine(r)}`);
    renameSync(`${tarball}.tmp`, tarball);
  }
  const list = await runTool('tar', ['-tf', tarball]);
  if (list.exitCode !== 0) throw new Error(`cannot list ${tarball}: ${firstLine(list)}`);
  return { tarball, entries: list.stdout.split('\n').filter((l) => l.length > 0).length };
}

/** The client workload's lower: `src` extracted from a tarball of `clientSource`, and `proj`. */
async function genClient(dir: string, cacheDir: string, s: Sizes): Promise<void> {
  const { tarball } = await ensureTarball(cacheDir, s.clientSource);
  mkdirSync(join(dir, 'src'), { recursive: true });
  const r = await runTool('tar', ['-xf', tarball, '-C', join(dir, 'src')]);
  if (r.exitCode !== 0) throw new Error(`cannot extract ${tarball}: ${firstLine(r)}`);
  genClientProject(join(dir, 'proj'), s.clientProgs);
  // What src/ holds, so a later run can tell what a target left there (wl-client.ts checkLower).
  writeFileSync(clientListFile(dir), JSON.stringify(readdirSync(join(dir, 'src'), { recursive: true }).map(String).sort()));
}

/** Where the list of the client lower's src/ paths is kept: beside the lower dir `dir`. */
function clientListFile(dir: string): string {
  return `${dir}.src-paths.json`;
}

/** Generate (or reuse) the lowers under `root` and the cached files under `cacheDir`. */
export async function prepareData(root: string, cacheDir: string, s: Sizes, log: (m: string) => void): Promise<DataSet> {
  mkdirSync(cacheDir, { recursive: true });
  const key = treeKey(s);
  const marker = join(root, MARKER);
  const bigFile = join(cacheDir, `random-${s.readMiB}M.bin`);
  ensureRandomFile(bigFile, s.readMiB);
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== key) {
    log(`generating lowers in ${root}`);
    rmSync(root, { recursive: true, force: true });
    genAllTrees(root, s);
    mkdirSync(join(root, 'readseq', '0'), { recursive: true });
    // A hard link keeps the lower on the same disk without copying 512 MiB; copy across filesystems.
    try {
      linkSync(bigFile, join(root, 'readseq', '0', 'big.bin'));
    } catch {
      copyFileSync(bigFile, join(root, 'readseq', '0', 'big.bin'));
    }
    mkdirSync(join(root, 'untar', '0', 'src'), { recursive: true });
    await genClient(join(root, 'client', '0'), cacheDir, s);
    await syncAll();
    writeFileSync(marker, key);
  }
  const { tarball, entries } = await ensureTarball(cacheDir, s.untarSource);
  const clientSrcPaths = JSON.parse(readFileSync(clientListFile(join(root, 'client', '0')), 'utf8')) as string[];
  return {
    root,
    sizes: s,
    walkEntries: treeEntries(s.walkFiles),
    paths: treePaths(s.walkFiles),
    readdirNames: readdirExpected(s.readdirVisible, s.readdirHidden),
    bigFile: join(root, 'readseq', '0', 'big.bin'),
    tarball,
    tarEntries: entries,
    clientEntries: clientSrcPaths.length + 1,
    clientSrcPaths,
  };
}
