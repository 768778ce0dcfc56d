import t from 'tap';
import { wantsWorker } from './prestart.js';

t.test('bin/ovl-fuse starts the worker early only for what looks like a dev-transport daemon', async (t) => {
  const o = ['-o', 'lowerdir=/l,upperdir=/u,workdir=/w'];
  t.ok(wantsWorker(['-f', ...o, '/m'], {}));
  t.ok(wantsWorker([...o, '--foreground', '/m'], {}));
  t.ok(wantsWorker(['-f', '-o', 'lowerdir=/l,transport=dev', '/m'], { OVL_FUSE_TRANSPORT: 'fuse-native' }), 'the option beats the environment');
  t.notOk(wantsWorker([...o, '/m'], {}), 'the detaching form runs no session');
  t.notOk(wantsWorker(['-f', '-o', 'lowerdir=/l,transport=fuse-native', '/m'], {}));
  t.notOk(wantsWorker(['-f', '-o', 'lowerdir=/l', '-o', 'transport=fuse-native', '/m'], {}), 'the last -o wins');
  t.notOk(wantsWorker(['-f', ...o, '/m'], { OVL_FUSE_TRANSPORT: 'fuse-native' }));
  t.notOk(wantsWorker(['-f', '--help'], {}));
  t.notOk(wantsWorker(['umount', '-f', '/m'], {}));
});
