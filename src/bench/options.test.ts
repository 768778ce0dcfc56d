import t from 'tap';
import { UsageError } from '../errors.js';
import { parseOptions } from './options.js';

t.test('defaults: full profile, every section and workload, drop caches on', async (t) => {
  const o = parseOptions({}, {});
  t.equal(o.profile, 'full');
  t.equal(o.sizes.rounds, 3);
  t.same(o.sections, ['fuse', 'dedup', 'check']);
  t.equal(o.workloads.length, 9);
  t.equal(o.dropCaches, true);
  t.same(o.bins, {});
});

t.test('--quick, --rounds, --only and program paths from options or the environment', async (t) => {
  const o = parseOptions({ quick: true, rounds: '2', only: 'walk,dedup', ovlDedup: '/x/bin/ovl-dedup' }, { OVLKIT_BENCH_OVL_FUSE: '/y/bin/ovl-fuse' });
  t.equal(o.profile, 'quick');
  t.equal(o.sizes.rounds, 2);
  t.same(o.sections, ['fuse', 'dedup'], 'a workload name selects the fuse section');
  t.same(o.workloads, ['walk']);
  t.same(o.bins, { 'ovl-fuse': '/y/bin/ovl-fuse', 'ovl-dedup': '/x/bin/ovl-dedup' });
  t.equal(parseOptions({}, { OVLKIT_BENCH_SIZE: 'tiny' }).profile, 'tiny');
});

t.test('bad values are usage errors naming the value', async (t) => {
  t.throws(() => parseOptions({ size: 'huge' }, {}), new UsageError('bad --size huge: expected full, quick or tiny'));
  t.throws(() => parseOptions({ rounds: '0' }, {}), UsageError);
  t.throws(() => parseOptions({ only: 'walk,frob' }, {}), /bad --only frob/);
  t.throws(() => parseOptions({ quick: true, size: 'tiny' }, {}), /--quick conflicts/);
});

t.test('--only startup selects the start-up workload alone', async (t) => {
  const o = parseOptions({ only: 'startup' }, {});
  t.same(o.sections, ['fuse']);
  t.same(o.workloads, ['startup']);
});
