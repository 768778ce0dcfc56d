// ovl-fuse as the mount program of Docker's `fuse-overlayfs` storage driver, as a user sets it up
// (README, "ovl-fuse under Docker"): a `fuse-overlayfs` first in dockerd's PATH that runs
// `ovl-fuse -o aufs_whiteouts,cache=always "$@"`. dockerd 20.10 mounts every container and build step with it
// (`-o lowerdir=…,upperdir=…,workdir=… MERGED`, and lowerdir only for a layer it diffs), unmounts
// with fusermount -u, and unpacks each committed layer with layer-tar whiteouts, which without the
// option showed again in every container of the image (what this test found first).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import { Daemon, mountsBelow, writeBaseTar } from '../helpers/docker-roots.js';
import { ovlFuseBin } from '../helpers/fuse.js';

const DOCKERFILE = [
  'FROM base:1',
  // A file deleted, a dir replaced whole, a file added: the layer holds .wh. markers.
  'RUN rm /etc/group && rm -rf /usr/share/doc && mkdir /usr/share/doc && echo new > /usr/share/doc/n && echo made > /made',
].join('\n');

/** What Docker puts in every container's /etc before passwd, in ls order. */
const ETC = 'hostname\nhosts\nmtab\n';

/** Processes whose command line names `dir` (an ovl-fuse daemon of one of its mounts). */
function processesIn(dir: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ');
      if (cmd.includes(dir) && Number(pid) !== process.pid) out.push(`${pid}: ${cmd}`);
    } catch {
      // gone
    }
  }
  return out;
}

interface Seen {
  markers: string;
  run: string;
  diff: string[];
  again: string;
  exported: string[];
}

/** `tar -tv` lines of a tar file without their dates (the two daemons build at different moments). */
function tarListing(file: string): string[] {
  return execFileSync('tar', ['-tvf', file], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(/\s+/).filter((_, i) => i !== 3 && i !== 4).join(' '))
    .sort();
}

/**
 * One dockerd with the `fuse-overlayfs` driver under `dir`, its mount program ovl-fuse (through
 * the README's shim) or fuse-overlayfs itself: the same steps, what a user sees of them.
 */
async function session(t: Test, dir: string, program: 'ovl-fuse' | 'fuse-overlayfs'): Promise<Seen> {
  const shims = join(dir, 'bin');
  execFileSync('mkdir', ['-p', shims, join(dir, 'ctx')]);
  if (program === 'ovl-fuse') {
    writeFileSync(join(shims, 'fuse-overlayfs'), `#!/bin/sh\nexec '${ovlFuseBin}' -o aufs_whiteouts,cache=always "$@"\n`);
    chmodSync(join(shims, 'fuse-overlayfs'), 0o755);
  }
  // A clean environment: node and the shim first, then the system's programs (fusermount, mount).
  const env = { PATH: [shims, dirname(process.execPath), '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':') };
  const daemon = new Daemon(dir, 'fuse-overlayfs', join(dir, 'data'), env);
  t.teardown(async () => {
    await daemon.stop();
    // A mount program a failed run left serving (a busy mount that umount -l only detached).
    for (const p of processesIn(join(dir, 'data'))) {
      try {
        process.kill(Number(p.split(':')[0]), 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  });
  writeBaseTar(dir, join(dir, 'base.tar'));
  writeFileSync(join(dir, 'ctx/Dockerfile'), DOCKERFILE + '\n');
  await daemon.start();
  t.match(await daemon.docker(['info', '--format', '{{.Driver}}']), /^fuse-overlayfs/, program);
  await daemon.docker(['import', join(dir, 'base.tar'), 'base:1']);
  await daemon.docker(['build', '-q', '-t', 'img:1', '.'], join(dir, 'ctx'));
  // The committed layer is Docker's layer-tar form: the markers are files in its diff dir.
  const markers = execFileSync('find', [join(dir, 'data/fuse-overlayfs'), '-path', '*/diff/*', '-name', '.wh.*', '-printf', '%P\n'], { encoding: 'utf8' });
  const run = await daemon.docker(['run', '--rm', '--network', 'none', 'img:1', 'sh', '-c',
    'ls -A /etc; echo --; ls -A /usr/share/doc; echo --; cat /made; cat /etc/group 2>&1; echo "exit $?"']);
  // A container's own changes, its diff, its export, and a commit of it read back.
  await daemon.docker(['run', '--network', 'none', '--name', 'c1', 'img:1', 'sh', '-c', 'rm /etc/passwd && mkdir /srv && echo s > /srv/s']);
  const diff = (await daemon.docker(['diff', 'c1'])).split('\n').filter(Boolean).sort();
  await daemon.docker(['export', '-o', join(dir, 'c1.tar'), 'c1']);
  await daemon.docker(['commit', 'c1', 'img:2']);
  const again = await daemon.docker(['run', '--rm', '--network', 'none', 'img:2', 'sh', '-c', 'ls -A /etc /srv']);
  await daemon.docker(['rm', 'c1']);
  await daemon.stop();
  t.same(mountsBelow(dir), [], `${program}: nothing of it left mounted`);
  t.same(processesIn(join(dir, 'data')), [], `${program}: no mount program left running`);
  t.notOk(existsSync(join(dir, 'docker.pid')), `${program}: dockerd gone`);
  return { markers: markers.replace(/^[0-9a-f]{64}/gm, 'LAYER'), run, diff, again, exported: tarListing(join(dir, 'c1.tar')) };
}

t.test('dockerd --storage-driver fuse-overlayfs with ovl-fuse as its mount program, beside fuse-overlayfs', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovl-docker-fo-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const [ovl, fo] = await Promise.all([session(t, join(root, 'ovl'), 'ovl-fuse'), session(t, join(root, 'fo'), 'fuse-overlayfs')]);
  t.match(ovl.markers, /^LAYER\/diff\/etc\/\.wh\.group$/m, 'etc/.wh.group in a layer');
  // hostname, hosts, resolv.conf and mtab are Docker's own (its init layer and bind mounts).
  t.equal(ovl.run, `${ETC}passwd\nresolv.conf\n--\nn\n--\nmade\ncat: can't open '/etc/group': No such file or directory\nexit 1\n`,
    'group deleted, doc replaced whole, no marker shown');
  t.same(ovl.diff, ['A /srv', 'A /srv/s', 'C /etc', 'D /etc/passwd']);
  t.equal(ovl.again, `/etc:\n${ETC}resolv.conf\n\n/srv:\ns\n`, 'the committed deletion stays deleted');
  t.same(ovl, fo, 'all of it as with fuse-overlayfs, the exported container included');
});
