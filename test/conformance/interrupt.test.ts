// Ctrl-C in the middle of a run: ovl-check unmounts everything, removes its temp dirs and exits
// 130, for the kernel target and for an exec target whose daemon stays in the foreground.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { KERNEL_EXEC, leftovers, sandbox } from './helpers.js';

const FOREGROUND_FUSE = 'exec:fuse-overlayfs -f -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir} {merged}';

for (const target of ['kernel', KERNEL_EXEC, FOREGROUND_FUSE]) {
  t.test(`SIGINT during a run leaves nothing behind (${target.slice(0, 30)})`, async (t) => {
    const s = sandbox(t);
    const child = s.run(['run', '--target', target, '--suite', 'remount,lower-mutation', '--runs', '100000', '--seed', '1']);
    // Wait until a scenario is mounted, so the interrupt lands mid-run.
    for (let i = 0; i < 200 && s.leftMounts().length < 2; i++) await sleep(25);
    t.ok(s.leftMounts().length >= 1, 'a run was under way');
    child.kill('SIGINT');
    const r = await child;
    t.equal(r.exitCode, 130);
    t.match(String(r.stderr), 'SIGINT: unmounting and removing temp dirs');
    t.same(s.leftMounts(), []);
    t.same(leftovers(s.tmp), []);
  });
}
