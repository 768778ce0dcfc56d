// The bin/ shims under tap (bin/tap-coverage.sh): when NODE_OPTIONS is exactly tap's coverage hook
// (@tapjs/processinfo's --import), node runs without it and records its own V8 coverage into tap's
// .tap/coverage instead (~0.6 s of CPU less per mount); anything else in NODE_OPTIONS is left
// alone. Run with the NODE_OPTIONS tap gives this test, so a change in tap's format fails here
// rather than silently bringing the cost back.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { Test } from 'tap';
import t from 'tap';
import { scratchDir } from '../helpers/scratch.js';

const binOf = (name: string) => fileURLToPath(new URL(`../../bin/${name}`, import.meta.url));
const tapHook = process.env.NODE_OPTIONS ?? '';
const underTap = tapHook.includes('@tapjs/processinfo');

/** `<bin> --version` with tap's variables pointing at `cwd`; what it left under cwd/.tap. */
async function version(t: Test, cwd: string, env: Record<string, string>, bin = binOf('ovl-fuse')): Promise<{ coverage: string[]; processinfo: boolean }> {
  const r = await execa(bin, ['--version'], {
    reject: false,
    env: { NODE_OPTIONS: tapHook, _TAPJS_PROCESSINFO_COVERAGE_: '1', _TAPJS_PROCESSINFO_CWD_: cwd, ...env },
  });
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, /^\d+\.\d+\.\d+$/);
  const dir = join(cwd, '.tap/coverage');
  return { coverage: existsSync(dir) ? readdirSync(dir) : [], processinfo: existsSync(join(cwd, '.tap/processinfo')) };
}

for (const name of ['ovl-fuse', 'ovl-check', 'ovl-dedup']) {
  t.test(`${name}: tap coverage hook swapped for NODE_V8_COVERAGE`, { skip: !underTap && 'not run by tap' }, async (t) => {
    t.match(tapHook, /^"--import=file:\/\/.*\/node_modules\/@tapjs\/processinfo\/dist\/esm\/import\.mjs"$/, "tap's form");
    const cwd = scratchDir(t, 'tapcov');
    const left = await version(t, cwd, {}, binOf(name));
    t.notOk(left.processinfo, 'processinfo not loaded');
    t.equal(left.coverage.length, 1, 'one coverage file');
    t.match(left.coverage[0], /^coverage-\d+-\d+-\d+\.json$/, "node's own");
    const urls = (JSON.parse(readFileSync(join(cwd, '.tap/coverage', left.coverage[0]!), 'utf8')) as { result: Array<{ url: string }> }).result.map((s) => s.url);
    t.ok(urls.some((u) => u.includes('/dist/')), 'the built CLI is in it');
  });
}

t.test('coverage off in tap: no hook, no coverage', { skip: !underTap && 'not run by tap' }, async (t) => {
  const cwd = scratchDir(t, 'tapcov');
  t.same(await version(t, cwd, { _TAPJS_PROCESSINFO_COVERAGE_: '0' }), { coverage: [], processinfo: false });
});

t.test('other NODE_OPTIONS left alone: tap hook runs as before', { skip: !underTap && 'not run by tap' }, async (t) => {
  const cwd = scratchDir(t, 'tapcov');
  const left = await version(t, cwd, { NODE_OPTIONS: `${tapHook} --max-old-space-size=512` });
  t.ok(left.processinfo, 'processinfo loaded');
  t.notOk(left.coverage.some((f) => f.startsWith('coverage-')), 'no node coverage file');
});
