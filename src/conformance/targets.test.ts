import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { OvlError, UsageError } from '../errors.js';
import { expandTemplate, fuseTarget, parseTarget } from './targets.js';

const paths = (n: number) => ({
  root: '/r',
  lowers: Array.from({ length: n }, (_, i) => `/r/l${i + 1}`),
  upper: '/r/upper',
  work: '/r/work',
  merged: '/r/merged',
});

t.test('a template gets shell-quoted, escaped layer paths and the scenario options', async (t) => {
  const tpl = 'fuse-overlayfs -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir}{options} {merged}';
  t.equal(expandTemplate(tpl, paths(2), {}), "fuse-overlayfs -o lowerdir='/r/l1:/r/l2',upperdir='/r/upper',workdir='/r/work' '/r/merged'");
  t.equal(
    expandTemplate(tpl, paths(1), { redirect_dir: 'on', userxattr: true }),
    "fuse-overlayfs -o lowerdir='/r/l1',upperdir='/r/upper',workdir='/r/work',redirect_dir=on,userxattr '/r/merged'",
  );
  const odd = { ...paths(1), lowers: ["/r/it's:here"] };
  t.equal(expandTemplate('m {lowerdir} {merged}', odd, {}), "m '/r/it'\\''s\\:here' '/r/merged'");
});

t.test('layer paths become relative to the run root when they would overflow a mount(2) page', async (t) => {
  const cmd = expandTemplate('m -o lowerdir={lowerdir},upperdir={upperdir} {merged}', paths(500), {});
  t.match(cmd, /^m -o lowerdir='l1:l2:.*:l500',upperdir='upper' 'merged'$/);
});

t.test('a template that cannot pass the options is refused per scenario', async (t) => {
  t.throws(() => expandTemplate('m {lowerdir} {merged}', paths(1), { index: 'on' }), OvlError);
});

t.test('--target values', async (t) => {
  t.equal(parseTarget('kernel').name, 'kernel');
  const full = 'exec:m -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir}{options} {merged}';
  t.equal(parseTarget(full).name, full);
  t.equal(parseTarget('exec:X=${HOME}; m {lowerdir}{,} {upperdir} {workdir} {merged}').name.slice(0, 8), 'exec:X=$', 'shell braces are no placeholders');
  t.throws(() => parseTarget('exec:mount -t overlay'), { name: 'UsageError', message: /needs \{lowerdir\} \{upperdir\} \{workdir\} and \{merged\}; missing \{lowerdir\} \{upperdir\} \{workdir\} \{merged\}/ });
  // Every suite writes through the mount: without an upper and work dir each scenario only diverges.
  t.throws(() => parseTarget('exec:m -o lowerdir={lowerdir} {merged}'), { name: 'UsageError', message: /missing \{upperdir\} \{workdir\}: m -o/ });
  t.throws(() => parseTarget('exec:m -o lowerdir={lowerdir},upperdir={upperdir} {merged}'), { name: 'UsageError', message: /missing \{workdir\}:/ });
  t.throws(() => parseTarget(`${full} {lowerdirs}`), { name: 'UsageError', message: /unknown placeholder \{lowerdirs\} .*known: \{lowerdir\} \{upperdir\} \{workdir\} \{merged\} \{options\}/ });
  t.throws(() => parseTarget(`${full} {upper}`), { name: 'UsageError', message: /unknown placeholder \{upper\}/ });
  for (const typo of ['{mnt}', '{mountpoint}', '{target}']) t.throws(() => parseTarget(`${full} ${typo}`), { name: 'UsageError' }, typo);
  // A review found `awk '{print}'` refused: braces the command itself uses are its own.
  t.doesNotThrow(() => parseTarget(`${full} && echo x | awk '{print}'`));
  t.throws(() => parseTarget('fusee'), { name: 'UsageError', message: /expected kernel, fuse or exec/ });
});

t.test('--target fuse says honestly when ovl-fuse is not built', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-nofuse-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  t.throws(() => fuseTarget(root + '/'), UsageError);
  t.throws(() => fuseTarget(root + '/'), { message: /ovl-fuse is not built .*dist\/bundle\/ovl-fuse.js is missing/ });
});
