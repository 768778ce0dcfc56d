// The three CLIs as a user runs them: help, version, and exit codes (0 ok, 1 failure, 2 usage)
// with a one-line error on stderr.
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';

const bin = (name: string) => fileURLToPath(new URL(`../../bin/${name}`, import.meta.url));
const run = (name: string, args: string[]) => execa(bin(name), args, { reject: false, env: { CI: '' } });

for (const name of ['ovl-fuse', 'ovl-dedup', 'ovl-check']) {
  t.test(`${name} --help and --version`, async (t) => {
    const help = await run(name, ['--help']);
    t.equal(help.exitCode, 0);
    t.match(help.stdout, new RegExp(`^Usage: ${name}`));
    const version = await run(name, ['--version']);
    t.equal(version.exitCode, 0);
    t.match(version.stdout, /^\d+\.\d+\.\d+$/);
  });

  t.test(`${name} with nothing to do exits 2 with one line (a review: ovl-dedup and ovl-check printed nothing, exit 0)`, async (t) => {
    const r = await run(name, []);
    t.equal(r.exitCode, 2);
    t.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    t.match(r.stderr, new RegExp(`^${name}: `));
  });

  t.test(`${name} with a bad option exits 2 with one line`, async (t) => {
    const r = await run(name, ['--no-such-option', 'x']);
    t.equal(r.exitCode, 2);
    t.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    t.match(r.stderr, new RegExp(`^${name}: unknown option '--no-such-option'`));
  });
}

t.test('ovl-fuse names the bad mount option', async (t) => {
  const r = await run('ovl-fuse', ['-o', 'lowerdir=/a,upperdir=/u,frobnicate', '/m']);
  t.equal(r.exitCode, 2);
  t.equal(r.stderr.trim(), 'ovl-fuse: unknown mount option frobnicate');
  const w = await run('ovl-fuse', ['-o', 'lowerdir=/a,upperdir=/u', '/m']);
  t.equal(w.exitCode, 2);
  t.equal(w.stderr.trim(), "ovl-fuse: missing 'workdir'");
});

t.test('an unknown subcommand is a usage error', async (t) => {
  const r = await run('ovl-dedup', ['frobnicate']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /unknown command 'frobnicate'/);
});

// node parses NODE_EXTRA_CA_CERTS at start (~35 ms where it is set); no tool speaks TLS, so each bin
// hands node an environment without it. A `node` first in PATH that prints what it was given shows it.
t.test('the bins start node without NODE_EXTRA_CA_CERTS, and with the rest of the environment', async (t) => {
  const dir = t.testdir({ node: '#!/bin/sh\necho "${NODE_EXTRA_CA_CERTS-unset} ${KEEP_ME-lost}"\n' });
  const { chmodSync } = await import('node:fs');
  chmodSync(`${dir}/node`, 0o755);
  for (const name of ['ovl-fuse', 'ovl-dedup', 'ovl-check']) {
    const r = await execa(bin(name), ['--version'], {
      reject: false,
      env: { PATH: `${dir}:${process.env.PATH}`, NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt', KEEP_ME: 'kept' },
    });
    t.equal(r.stdout.trim(), 'unset kept', `${name}: ${r.stderr}`);
  }
});
