import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { commit, readJournal, retargetContainers, writeJournal, type Journal } from './migrate-commit.js';

function fixture(t: { teardown(fn: () => void): void }): { target: string; staging: string; j: Journal } {
  const target = mkdtempSync(join(tmpdir(), 'ovl-commit-'));
  t.teardown(() => rmSync(target, { recursive: true, force: true }));
  const staging = join(target, '.ovl-migrate');
  mkdirSync(join(staging, 'overlay2', 'C'), { recursive: true });
  mkdirSync(join(staging, 'image', 'overlay2'), { recursive: true });
  mkdirSync(join(target, 'overlay', 'C', 'upper'), { recursive: true });
  writeFileSync(join(target, 'overlay', 'C', 'upper', 'data'), 'rw');
  mkdirSync(join(target, 'containers', 'c1'), { recursive: true });
  writeFileSync(join(target, 'containers', 'c1', 'config.v2.json'), JSON.stringify({ ID: 'c1', Driver: 'overlay' }));
  const j: Journal = { version: 1, phase: 'commit', mode: 'in-place', root: target, target,
    moves: [[join(target, 'overlay', 'C', 'upper'), join(target, 'overlay2', 'C', 'diff')]] };
  writeJournal(staging, j);
  return { target, staging, j };
}

t.test('commit renames staging into place, moves the RW upper and retargets configs', async (t) => {
  const { target, staging, j } = fixture(t);
  t.same(readJournal(staging), j);
  commit(staging, j);
  t.equal(readFileSync(join(target, 'overlay2', 'C', 'diff', 'data'), 'utf8'), 'rw');
  t.notOk(existsSync(join(target, 'overlay', 'C', 'upper')));
  t.ok(existsSync(join(target, 'image', 'overlay2')));
  t.equal((JSON.parse(readFileSync(join(target, 'containers', 'c1', 'config.v2.json'), 'utf8')) as { Driver: string }).Driver, 'overlay2');
  t.notOk(existsSync(staging), 'staging removed at the end');
});

t.test('a commit cut short is finished by running it again', async (t) => {
  const { target, staging, j } = fixture(t);
  // As if killed right after the first step: overlay2/ is in place, nothing else is.
  renameSync(join(staging, 'overlay2'), join(target, 'overlay2'));
  commit(staging, j);
  t.equal(readFileSync(join(target, 'overlay2', 'C', 'diff', 'data'), 'utf8'), 'rw', 'the pending move is done');
  t.ok(existsSync(join(target, 'image', 'overlay2')));
  t.same(retargetContainers(target), [], 'configs retargeted: nothing left to do');
  // Killed while cleaning up: only the journal is left, and it still finishes.
  writeJournal(staging, j);
  t.same(readJournal(staging), j);
  commit(staging, j);
  t.notOk(existsSync(staging));
  t.ok(existsSync(join(target, 'overlay2', 'C', 'diff')), 'a third run changes nothing');
  const lost: Journal = { ...j, moves: [[join(target, 'gone'), join(target, 'overlay2', 'X', 'diff')]] };
  t.throws(() => commit(staging, lost), /journal step lost: neither .*gone nor its destination exists/);
});

t.test('a config broken after the check stops the commit with one line; fixed, a rerun finishes', async (t) => {
  const { target, staging, j } = fixture(t);
  const file = join(target, 'containers', 'c1', 'config.v2.json');
  mkdirSync(join(target, 'containers', 'c0'));
  writeFileSync(join(target, 'containers', 'c0', 'config.v2.json'), JSON.stringify({ ID: 'c0', Driver: 'overlay' }));
  writeFileSync(file, '{"ID": "trunc\n');
  t.throws(() => commit(staging, j), { code: 'EINVAL', message: /^[^\n]*c1\/config\.v2\.json: invalid JSON \([^\n]*\); the commit is half done: fix the file and run migrate again to finish it$/ });
  t.same(readJournal(staging), j, 'the journal stays: the commit is resumable');
  t.equal((JSON.parse(readFileSync(join(target, 'containers', 'c0', 'config.v2.json'), 'utf8')) as { Driver: string }).Driver, 'overlay',
    'no config rewritten before all were read');
  writeFileSync(file, JSON.stringify({ ID: 'c1', Driver: 'overlay' }));
  commit(staging, j);
  t.same(retargetContainers(target), [], 'both retargeted');
  t.equal(readFileSync(join(target, 'overlay2', 'C', 'diff', 'data'), 'utf8'), 'rw');
  t.notOk(existsSync(staging));
});

t.test('--out: the container files and local volumes below the old root move to the new one, bind mounts stay', async (t) => {
  const target = mkdtempSync(join(tmpdir(), 'ovl-commit-'));
  t.teardown(() => rmSync(target, { recursive: true, force: true }));
  const old = '/srv/dock';
  const c = `${old}/containers/c1`;
  const cfg = {
    ID: 'c1', Driver: 'overlay',
    HostsPath: `${c}/hosts`, ResolvConfPath: `${c}/resolv.conf`, HostnamePath: `${c}/hostname`, LogPath: `${c}/c1-json.log`,
    Config: { Env: [`ROOT=${old}/x`], Cmd: ['cat', `${old}/containers/c1/hosts`] },
    MountPoints: {
      '/vol': { Source: `${old}/volumes/v/_data`, Type: 'volume', Driver: 'local', Name: 'v' },
      '/bind': { Source: `${old}/containers`, Type: 'bind' },
      '/other': { Source: '/srv/docker/volumes/w/_data', Type: 'volume', Driver: 'local', Name: 'w' },
      '/plugin': { Source: `${old}/plugins/p/_data`, Type: 'volume', Driver: 'someplugin', Name: 'p' },
    },
  };
  mkdirSync(join(target, 'containers', 'c1'), { recursive: true });
  writeFileSync(join(target, 'containers', 'c1', 'config.v2.json'), JSON.stringify(cfg));
  t.same(retargetContainers(target, old), ['c1']);
  const got = JSON.parse(readFileSync(join(target, 'containers', 'c1', 'config.v2.json'), 'utf8')) as typeof cfg;
  const n = `${target}/containers/c1`;
  t.same([got.HostsPath, got.ResolvConfPath, got.HostnamePath, got.LogPath], [`${n}/hosts`, `${n}/resolv.conf`, `${n}/hostname`, `${n}/c1-json.log`]);
  t.equal(got.MountPoints['/vol']!.Source, `${target}/volumes/v/_data`, 'a local volume is copied with the root');
  t.equal(got.MountPoints['/bind']!.Source, `${old}/containers`, "a bind mount is the user's path");
  t.equal(got.MountPoints['/other']!.Source, '/srv/docker/volumes/w/_data', '/srv/docker is not below /srv/dock');
  t.equal(got.MountPoints['/plugin']!.Source, `${old}/plugins/p/_data`, "another driver's volume is its own");
  t.same(got.Config, cfg.Config, 'what the container runs is not touched');
  t.same(retargetContainers(target, old), [], 'a rerun finds nothing to change');
});
