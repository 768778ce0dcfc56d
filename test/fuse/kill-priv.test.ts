// A write by a user without CAP_FSETID drops set-user-ID, set-group-ID (when group-executable) and
// file capabilities, on ovl-fuse as on the kernel's overlay. On ovl-fuse the kernel asks GETXATTR
// `security.capability` before each write (file_remove_privs) and the daemon answers it from the
// open upper file's fd when the open passes through (lowlevel.ts getxattr): a lower file copied up
// by the open, and a file already in the upper, both checked here.
import { chmodSync, chownSync, closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { getXattr, setXattr } from '../../src/sys/index.js';
import { sameOnBoth } from '../helpers/twin.js';

const CAPS = 'security.capability';
// struct vfs_cap_data, revision 2: effective, CAP_NET_RAW permitted.
const NET_RAW = Buffer.from([0x01, 0, 0, 0x02, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

function asNobody(cmd: string): string {
  try {
    execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', cmd], { stdio: 'pipe' });
    return 'ok';
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err).trim().replace(/^.*: /, '');
  }
}

/** Files anyone may write: setuid, setgid with group exec, and one with a file capability. */
function privileged(dir: string): void {
  for (const [name, mode] of [['suid', 0o4777], ['sgid', 0o2777], ['caps', 0o777]] as const) {
    writeFileSync(join(dir, name), 'data');
    chmodSync(join(dir, name), mode);
  }
  setXattr(join(dir, 'caps'), CAPS, NET_RAW);
}

function observe(m: string): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const name of ['suid', 'sgid', 'caps']) {
    o[`${name} write`] = asNobody(`printf x >> ${join(m, name)}`);
    o[`${name} mode`] = (execFileSync('stat', ['-c', '%a', join(m, name)], { encoding: 'utf8' })).trim();
    o[`${name} caps`] = getXattr(join(m, name), CAPS)?.toString('hex') ?? null;
  }
  return o;
}

/**
 * `title`, with files made by `fill` in the lower and then in the upper (the root world-readable for
 * the unprivileged callers), against the kernel's overlay on the /dev/fuse transport.
 */
async function inLowerAndUpper(title: string, fill: (dir: string) => void, steps: (m: string) => Record<string, unknown>): Promise<void> {
  for (const where of ['lower', 'upper'] as const) {
    await sameOnBoth(t, `${title} (file in the ${where})`, {
      lowers: 1,
      fuseOptions: 'transport=dev',
      setup: (d) => {
        chmodSync(d.root, 0o755);
        fill(where === 'lower' ? d.lowers[0]! : d.upper);
      },
      steps,
    });
  }
}

await inLowerAndUpper('a write without CAP_FSETID drops set-id bits and capabilities', privileged, observe);

// With FUSE_HANDLE_KILLPRIV_V2 the daemon drops the bits itself where the kernel tells it to
// (FUSE_OPEN_KILL_SUIDGID, FATTR_KILL_SUIDGID, FUSE_WRITE_KILL_SUIDGID) or where its own chown of
// the upper does: each path a caller can take, against the kernel's overlay.
function modes(m: string): Record<string, string> {
  const o: Record<string, string> = {};
  for (const name of ['suid', 'sgid', 'caps']) o[name] = execFileSync('stat', ['-c', '%a', join(m, name)], { encoding: 'utf8' }).trim();
  return o;
}

await inLowerAndUpper('O_TRUNC open, truncate(2) and O_DIRECT write without CAP_FSETID', privileged, (m) => {
  const trunc = asNobody(`: > ${join(m, 'suid')}; truncate -s 1 ${join(m, 'sgid')}; dd if=/dev/zero of=${join(m, 'caps')} bs=4096 count=1 oflag=direct conv=notrunc status=none`);
  return { trunc, ...modes(m), caps: getXattr(join(m, 'caps'), CAPS)?.toString('hex') ?? null };
});

await sameOnBoth(t, 'chown by root drops setuid and group-executable setgid, keeps the rest; lchown of a symlink', {
  lowers: 1,
  fuseOptions: 'transport=dev',
  setup: (d) => {
    privileged(d.lowers[0]!);
    writeFileSync(join(d.lowers[0]!, 'sgid-nox'), 'x');
    chmodSync(join(d.lowers[0]!, 'sgid-nox'), 0o2764);
  },
  steps: (m) => {
    const out: Record<string, unknown> = {};
    for (const name of ['suid', 'sgid', 'caps', 'sgid-nox']) {
      execFileSync('chown', ['1:1', join(m, name)]);
      out[name] = execFileSync('stat', ['-c', '%a %u %g', join(m, name)], { encoding: 'utf8' }).trim();
    }
    out['caps xattr'] = getXattr(join(m, 'caps'), CAPS)?.toString('hex') ?? null;
    execFileSync('ln', ['-s', 'nowhere', join(m, 'link')]);
    execFileSync('chown', ['-h', '2:2', join(m, 'link')]);
    out.link = execFileSync('stat', ['-c', '%a %u %g %N', join(m, 'link')], { encoding: 'utf8' }).trim().replace(m, 'M');
    return out;
  },
});

// A set-group-ID file without group-execute: since 6.2 the VFS drops the bit when the writer is
// outside the file's group (setattr_should_drop_sgid), and keeps it for a member, by fsgid or by a
// supplementary group. ovl-fuse learns the caller's groups from /proc (the request has its fsgid
// only). Appends pass through (the kernel then sends a SETATTR without fields: its kill bits are
// the daemon's to apply), with passthrough off they are WRITEs.
function sgidNoExec(dir: string): void {
  for (const name of ['out', 'member', 'supp', 'trunc', 'otrunc']) {
    writeFileSync(join(dir, name), 'data');
    chmodSync(join(dir, name), 0o2666);
  }
}

function asUser(gid: number, groups: string, cmd: string): string {
  try {
    execFileSync('setpriv', ['--reuid=65534', `--regid=${gid}`, groups, 'sh', '-c', cmd], { stdio: 'pipe' });
    return 'ok';
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err).trim().replace(/^.*: /, '');
  }
}

for (const fuseOptions of ['transport=dev', 'transport=dev,passthrough=off']) {
  await sameOnBoth(t, `setgid without group-execute: dropped for a writer outside the group, kept for a member (${fuseOptions})`, {
    lowers: 1,
    fuseOptions,
    setup: (d) => {
      chmodSync(d.root, 0o755);
      sgidNoExec(d.lowers[0]!);
    },
    steps: (m) => {
      const out: Record<string, string> = {
        out: asUser(65534, '--clear-groups', `printf x >> ${join(m, 'out')}`),
        member: asUser(0, '--clear-groups', `printf x >> ${join(m, 'member')}`),
        supp: asUser(65534, '--groups=0', `printf x >> ${join(m, 'supp')}`),
        trunc: asUser(65534, '--clear-groups', `truncate -s 1 ${join(m, 'trunc')}`),
        otrunc: asUser(65534, '--clear-groups', `: > ${join(m, 'otrunc')}`),
      };
      for (const name of ['out', 'member', 'supp', 'trunc', 'otrunc']) out[`${name} mode`] = execFileSync('stat', ['-c', '%a', join(m, name)], { encoding: 'utf8' }).trim();
      return out;
    },
  });
}

// chown(f, -1, -1) by a caller who is not the owner: where set-id bits would go the kernel's overlay
// refuses it (EPERM, the kill is a mode change only the owner may make) and copies nothing up; where
// none would, it succeeds. A set-group-ID directory loses nothing to a chown.
function foreign(dir: string): void {
  for (const [name, mode] of [['suid', 0o4755], ['sgid', 0o2775], ['sgid-nox', 0o2764], ['plain', 0o755], ['held', 0o4755]] as const) {
    writeFileSync(join(dir, name), 'data');
    chmodSync(join(dir, name), mode);
  }
  mkdirSync(join(dir, 'dir'));
  chmodSync(join(dir, 'dir'), 0o2775);
  writeFileSync(join(dir, 'mine'), 'data');
  // chown first: root's chown drops setuid too.
  chownSync(join(dir, 'mine'), 65534, 65534);
  chmodSync(join(dir, 'mine'), 0o4755);
}

await inLowerAndUpper('chown(f, -1, -1) by another user: EPERM where set-id bits would go', foreign, (m) => {
  const out: Record<string, string> = {};
  for (const name of ['suid', 'sgid', 'sgid-nox', 'plain', 'dir', 'mine', 'held']) {
    // 'held': the caller holds the file open read-only meanwhile (an open handle is no licence).
    const hold = name === 'held' ? `exec 3< ${join(m, name)}; ` : '';
    out[name] = asNobody(`${hold}perl -e 'chown(-1, -1, $ARGV[0]) or die "$!\\n"' ${join(m, name)}`);
    out[`${name} mode`] = execFileSync('stat', ['-c', '%a %u', join(m, name)], { encoding: 'utf8' }).trim();
  }
  return out;
});

t.test('the files kept their privileges until written (the check above is not vacuous)', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const dir = mkdtempSync('/tmp/ovlkit-killpriv-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  privileged(dir);
  t.equal(execFileSync('stat', ['-c', '%a', join(dir, 'suid')], { encoding: 'utf8' }).trim(), '4777');
  t.equal(getXattr(join(dir, 'caps'), CAPS)?.toString('hex'), NET_RAW.toString('hex'));
});

// Callers the VFS treats as unprivileged over root's files, each side by side with the kernel's
// overlay (a privilege-boundary review, 2026-12-07, found both let through):
// - a user who may not write a setuid file does chown(f, -1, -1) while root holds it open for
//   writing: EPERM, the bit kept. The same fieldless SETATTR comes from a write's
//   file_remove_privs, sent by the writer; ovl-fuse took any writer's open handle for that, so
//   anyone could strip the bit while root wrote. Now the caller's own fds must hold the file.
// - root of a user namespace of its own (uid 65534 outside, `unshare -Ur`): its capabilities hold
//   only over files whose owner and group that namespace maps (capable_wrt_inode_uidgid), not
//   over root's: its chown(f, -1, -1) is EPERM, and its append to a set-group-ID file of a group
//   it is not in drops the bit. ovl-fuse read CapEff from /proc without asking which namespace.
function rootOwnedSetIds(dir: string): void {
  for (const [name, mode] of [['suid', 0o4755], ['sgid', 0o2755], ['sgid-rw', 0o2666]] as const) {
    writeFileSync(join(dir, name), 'data');
    chmodSync(join(dir, name), mode);
  }
}

/** `js` (with `fs` and `p`, the path) run by uid 65534, under `unshare -Ur` when `ownNs`; its output or errno code. */
function nobodyNode(js: string, path: string, ownNs = false): string {
  const script = `const fs = require('node:fs'); const p = ${JSON.stringify(path)}; try { ${js}; console.log('ok') } catch (e) { console.log(e.code) }`;
  const argv = ['--reuid=65534', '--regid=65534', '--clear-groups', ...(ownNs ? ['unshare', '-Ur'] : []), process.execPath, '-e', script];
  return execFileSync('setpriv', argv, { encoding: 'utf8' }).trim();
}

const modeOf = (p: string) => execFileSync('stat', ['-c', '%a', p], { encoding: 'utf8' }).trim();

await inLowerAndUpper('chown(f, -1, -1) by another user while root holds f open for writing', rootOwnedSetIds, (m) => {
  const out: Record<string, string> = {};
  for (const name of ['suid', 'sgid']) {
    const fd = openSync(join(m, name), 'a');
    try {
      out[`${name} chown`] = nobodyNode('fs.chownSync(p, -1, -1)', join(m, name));
    } finally {
      closeSync(fd);
    }
    out[`${name} mode`] = modeOf(join(m, name));
  }
  return out;
});

await inLowerAndUpper('root of its own user namespace over root-owned set-id files', rootOwnedSetIds, (m) => ({
  'suid chown': nobodyNode('fs.chownSync(p, -1, -1)', join(m, 'suid'), true),
  'suid mode': modeOf(join(m, 'suid')),
  'sgid-rw append': nobodyNode("fs.appendFileSync(p, 'x')", join(m, 'sgid-rw'), true),
  'sgid-rw mode': modeOf(join(m, 'sgid-rw')),
}));
