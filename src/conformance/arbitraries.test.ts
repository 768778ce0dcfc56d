import fc from 'fast-check';
import t from 'tap';
import { DANGLING_TARGET, scenarioArb, scenarioToString } from './arbitraries.js';
import { USER_OPS, describeOp } from './ops.js';
import { type Scenario, scenarioAclPaths } from './scenario.js';
import { loadCorpus, loadSuite, suiteNames } from './suite.js';

/** Whether a layer object of `s` has a POSIX ACL, or one of its ops sets or removes one. */
const scenarioHasAcls = (s: Scenario) => scenarioAclPaths(s).size > 0;

t.test('every shipped suite generates plain-data scenarios that print as their calls', async (t) => {
  const names = suiteNames();
  t.ok(names.length >= 12, names.join(', '));
  for (const name of names) {
    const cfg = loadSuite(name);
    if (cfg.corpus) continue;
    const samples = fc.sample(scenarioArb(cfg), { seed: 1, numRuns: 5 });
    for (const s of samples) {
      const copy = JSON.parse(JSON.stringify(s));
      t.same(copy, s, `${name}: JSON round trip`);
      t.ok(s.lowers.length >= cfg.lowers[0] && s.lowers.length <= cfg.lowers[1], `${name}: lower count`);
      t.ok(s.ops.every((o) => (cfg.ops as Record<string, number>)[o.op]! > 0), `${name}: only the suite's ops`);
      t.equal(String(s), scenarioToString(s));
      for (const o of s.ops) t.equal(String(o), describeOp(o));
    }
  }
});

t.test('the same seed gives the same scenarios (what makes two targets comparable)', async (t) => {
  const cfg = loadSuite('rename');
  t.same(fc.sample(scenarioArb(cfg), { seed: 9, numRuns: 10 }), fc.sample(scenarioArb(cfg), { seed: 9, numRuns: 10 }));
});

t.test('an unknown suite is a usage error listing the suites', async (t) => {
  t.throws(() => loadSuite('nope'), { name: 'UsageError', message: /no such suite \(have: .*basic/ });
});

t.test('no scenario links outside its sandbox to a path an op could create on the host', async (t) => {
  // Absolute symlink targets resolve on the host; one an op could create (/nonexistent was) lets a
  // run write outside its temp dirs and makes later runs depend on it.
  const absolute = new Set<string>();
  for (const name of suiteNames()) {
    const cfg = loadSuite(name);
    const scenarios = cfg.corpus ? loadCorpus(cfg).map((c) => c.scenario) : fc.sample(scenarioArb(cfg), { seed: 7, numRuns: 200 });
    for (const s of scenarios) {
      const json = JSON.stringify(s);
      for (const m of json.matchAll(/"target":"(\/[^"]*)"/g)) absolute.add(m[1]!);
    }
  }
  t.same([...absolute], [DANGLING_TARGET], 'the one absolute target is the uncreatable one');
  t.match(DANGLING_TARGET, /^\/proc\/self\//);
});

t.test('the access suite runs ops as uid 1000, gives layer objects owners and ACLs, and knows when a scenario has one', async (t) => {
  const cfg = loadSuite('access');
  const samples = fc.sample(scenarioArb(cfg), { numRuns: 200, seed: 7 });
  const ops = samples.flatMap((s) => s.ops);
  t.ok(ops.some((o) => o.as === 1000) && ops.some((o) => o.as === undefined), 'some ops as the user, some as root');
  t.ok(ops.every((o) => o.as === undefined || USER_OPS.has(o.op)), 'only ops that may run as a user');
  t.match(describeOp({ op: 'read', path: 'a', as: 1000 }), /^\[uid 1000\] read\("a"\)$/);
  const entries = samples.flatMap((s) => [...s.lowers, s.upper].flatMap((l) => l.entries));
  t.ok(entries.some((e) => 'owner' in e && e.owner === 1000), 'owned by the user');
  t.ok(entries.some((e) => 'acl' in e && e.acl) && entries.some((e) => 'defaultAcl' in e && e.defaultAcl), 'access and default ACLs');
  t.equal(samples.filter(scenarioHasAcls).length > 0 && samples.some((s) => !scenarioHasAcls(s)), true, 'scenarioHasAcls tells them apart');
  t.ok(scenarioHasAcls({ lowers: [{ entries: [] }], upper: { entries: [] }, ops: [{ op: 'removexattr', path: 'a', name: 'system.posix_acl_access' }] }), 'removing one counts');
});
