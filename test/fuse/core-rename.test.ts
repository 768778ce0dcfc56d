// renameat2 flags in the overlay core, step for step against kernel overlayfs on equal layers:
// the errno of each step, the upper dir it leaves (names, types, overlay xattrs) and the merged
// tree the kernel then shows on the core's layers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT, renameMerged } from '../../src/fuse/rename.js';
import { type RenameFlag, makeWhiteout, rename2 } from '../../src/sys/index.js';
import { type CoreScenario, sameAsKernel } from '../helpers/core-twin.js';
import type { LayerDirs } from '../helpers/layers.js';

function layers(d: LayerDirs): void {
  const [l] = d.lowers as [string];
  const u = d.upper;
  for (const f of ['f', 'g', 'wo']) writeFileSync(join(l, f), f);
  for (const [dir, file] of [['d', 'x'], ['e', 'y'], ['a', 'af'], ['b', 'bf']] as const) {
    mkdirSync(join(l, dir));
    writeFileSync(join(l, dir, file), file);
  }
  mkdirSync(join(l, 'md'));
  writeFileSync(join(l, 'md/m'), 'm');
  writeFileSync(join(u, 'u'), 'u');
  for (const dir of ['ud', 'ud/in', 'md', 'pu', 'pu/sub']) mkdirSync(join(u, dir));
  writeFileSync(join(u, 'pu/pf'), 'pf');
  makeWhiteout(join(u, 'wo'));
}

const BITS: Record<RenameFlag, number> = { noreplace: RENAME_NOREPLACE, exchange: RENAME_EXCHANGE, whiteout: RENAME_WHITEOUT };

/** One renameat2 step, as the kernel gets it through the mount and the core through renameMerged. */
function step(from: string, to: string, flags: RenameFlag[] = []): CoreScenario['steps'][number] {
  return {
    name: `${from} -> ${to} [${flags.join(',')}]`,
    kernel: (m) => rename2(join(m, from), join(m, to), flags),
    core: (ovl) => void renameMerged(ovl, '/' + from, '/' + to, flags.reduce((a, f) => a | BITS[f], 0)),
  };
}

const cases: Record<string, Pick<CoreScenario, 'steps' | 'redirectDir'>> = {
  'RENAME_NOREPLACE: EEXIST on any merged name (lower-only too), a whiteout is free': {
    steps: [
      step('f', 'g', ['noreplace']),
      step('u', 'f', ['noreplace']),
      step('ud', 'd', ['noreplace']),
      step('f', 'new', ['noreplace']),
      step('g', 'wo', ['noreplace']),
      step('u', 'nope/x', ['noreplace']),
      step('d', 'dnew', ['noreplace']),
      step('ud', 'udn', ['noreplace']),
    ],
  },
  'RENAME_EXCHANGE of files: both copied up, no whiteouts, impure parents across dirs': {
    steps: [
      step('f', 'g', ['exchange']),
      step('u', 'wo', ['exchange']),
      step('u', 'zz', ['exchange']),
      step('a/af', 'b/bf', ['exchange']),
      step('u', 'd', ['exchange']),
      step('u', 'ud', ['exchange']),
      step('f', 'f', ['exchange']),
    ],
  },
  'RENAME_EXCHANGE inside an upper-only dir: no opaque': {
    steps: [step('pu/pf', 'pu/sub', ['exchange']), step('pu/sub', 'pu/sub2'), step('ud/in', 'pu/in')],
  },
  'RENAME_EXCHANGE of lower and merged dirs with redirect_dir=on: redirects both ways': {
    redirectDir: 'on',
    steps: [step('d', 'e', ['exchange']), step('u', 'md', ['exchange']), step('a/af', 'd', ['exchange']), step('b', 'a', ['exchange'])],
  },
  'RENAME_WHITEOUT and bad combinations: EINVAL, nothing changes': {
    steps: [
      step('u', 'x2', ['whiteout']),
      step('f', 'x3', ['whiteout']),
      step('u', 'f', ['whiteout']),
      step('f', 'g', ['noreplace', 'exchange']),
      step('u', 'zz', ['whiteout', 'exchange']),
    ],
  },
  'plain rename: upper-only dirs get opaque only in merged parents': {
    steps: [step('pu/sub', 'pu/sub2'), step('ud/in', 'pu/in'), step('ud', 'ud2'), step('pu', 'a/pu2'), step('g', 'a/g2')],
  },
};

for (const [name, c] of Object.entries(cases)) await sameAsKernel(t, name, { setup: layers, ...c });
