// Test-data machinery for ovl-dedup: builds real Docker data roots with a private dockerd
// (its own data-root, exec-root, pidfile and socket; never /var/lib/docker) for the legacy
// `overlay` and the `overlay2` driver from the same Dockerfiles, then stops the daemon.
// The roots are built once per test process and removed in teardown.
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Driver = 'overlay' | 'overlay2';

export interface DockerRoot {
  driver: Driver;
  /** the dockerd --data-root, i.e. what `ovl-dedup analyze` reads */
  dataRoot: string;
  /** seconds spent starting dockerd, importing and building */
  seconds: number;
  /** `docker system df -v` as JSON, captured before the daemon stopped: the numbers docker itself reports */
  systemDf: SystemDf;
}

export interface SystemDf {
  /** Engine API ImageSummary rows (UNIQUE SIZE is computed by the client as Size − SharedSize) */
  Images: Array<{ Id: string; RepoTags: string[] | null; Size: number; SharedSize: number }>;
}

const run = promisify(execFile);

// The Debian client matches the daemon's API (20.10); a newer client on PATH may default to BuildKit.
const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

// Each RUN adds, modifies, chmods, deletes, re-adds, hard-links, replaces dirs and symlinks.
// side:1 repeats app's first RUN on the same parent, so the classic builder's cache shares that layer.
const FIRST_RUN =
  'RUN mkdir -p /data/tz/Europe /data/keep /data/many && echo hello > /data/a.txt' +
  ' && dd if=/dev/urandom of=/data/big.bin bs=1k count=96 2>/dev/null' +
  ' && for i in 1 2 3 4 5; do echo zone$i > /data/tz/Europe/f$i; done' +
  ' && for i in $(seq 1 300); do echo $i > /data/many/entry-with-a-long-name-$i; done' +
  ' && ln -s a.txt /data/link && mkfifo /data/fifo && echo keep > /data/keep/k && : > /data/empty' +
  ' && ln -s /usr/share/doc/a/rather/long/symlink/target/that/does/not/fit/in/the/inode/itself /data/longlink';

export const DOCKERFILES: Record<string, string> = {
  'app-1': [
    'FROM base:1',
    FIRST_RUN,
    'RUN echo modified >> /data/a.txt && chmod 600 /data/big.bin && ln /data/a.txt /data/a-hard.txt' +
      ' && touch -d @1000000 /data/keep/k && echo changed > /data/many/entry-with-a-long-name-7',
    'RUN rm /data/big.bin && rm -rf /data/tz/Europe && mkdir /data/tz/Europe && echo new > /data/tz/Europe/g' +
      ' && cp /bin/busybox /data/bb-copy && rm /etc/group && chmod 700 /var/empty',
  ].join('\n'),
  'app-2': [
    'FROM app:1',
    'RUN echo again > /data/big.bin && chown 65534:65534 /data/a.txt && ln -sf /etc/passwd /data/link' +
      ' && rm /data/fifo && mkdir /data/fifo && cp /data/bb-copy /data/bb-copy2 && rm -rf /data/many',
    'ENV APP=2',
    "RUN rm -rf /data/keep && mkdir -m 700 /data/keep && printf 'x%.0s' $(seq 1 5000) > /data/keep/big-text",
  ].join('\n'),
  side: ['FROM base:1', FIRST_RUN, 'RUN cp /data/big.bin /data/big-again.bin && chmod 4755 /data/big-again.bin'].join(
    '\n',
  ),
};

export const TAGS: Array<[string, string]> = [
  ['app:1', 'app-1'],
  ['app:2', 'app-2'],
  ['side:1', 'side'],
];

/** A tiny base rootfs: busybox-static with its applets as symlinks, one in-layer hard link, a user xattr. */
export function writeBaseTar(dir: string, tarPath: string): void {
  const fs = join(dir, 'basefs');
  for (const d of ['bin', 'etc', 'tmp', 'root', 'var/empty', 'usr/share/doc']) mkdirSync(join(fs, d), { recursive: true });
  execFileSync('cp', ['/bin/busybox', join(fs, 'bin/busybox')]);
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) if (a !== 'busybox') execFileSync('ln', ['-s', 'busybox', join(fs, 'bin', a)]);
  execFileSync('ln', [join(fs, 'bin/busybox'), join(fs, 'bin/sh.hard')]);
  writeFileSync(join(fs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(fs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  writeFileSync(join(fs, 'usr/share/doc/README'), 'base readme\n');
  execFileSync('chmod', ['755', fs]);
  execFileSync('chmod', ['1777', join(fs, 'tmp')]);
  execFileSync('setfattr', ['-n', 'user.ovlkit', '-v', 'base', join(fs, 'usr/share/doc/README')]);
  execFileSync('tar', ['--xattrs', '--numeric-owner', '-C', fs, '-cf', tarPath, '.']);
  rmSync(fs, { recursive: true, force: true });
}

/** Mount points below `dir` (from /proc/self/mountinfo), deepest first. */
export function mountsBelow(dir: string): string[] {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const points = lines.map((l) => l.split(' ')[4] ?? '').filter((p) => p === dir || p.startsWith(dir + '/'));
  return points.sort((a, b) => b.length - a.length);
}

/** A private dockerd: socket, pid file, exec root and log under `dir`; data root `dir/data` unless given. */
export class Daemon {
  private proc: ChildProcess | undefined;
  readonly env: NodeJS.ProcessEnv;

  /**
   * `daemonEnv`: dockerd's own environment (its PATH finds the mount program of the
   * `fuse-overlayfs` driver); this process's when not given.
   */
  constructor(
    readonly dir: string,
    readonly driver: Driver | 'fuse-overlayfs',
    readonly dataRoot = join(dir, 'data'),
    private readonly daemonEnv?: NodeJS.ProcessEnv,
  ) {
    this.env = { ...process.env, DOCKER_HOST: `unix://${join(dir, 'docker.sock')}`, DOCKER_BUILDKIT: '0' };
  }

  async start(): Promise<void> {
    for (const d of [this.dataRoot, join(this.dir, 'exec')]) mkdirSync(d, { recursive: true });
    const log = openSync(join(this.dir, 'dockerd.log'), 'a');
    const args = ['--iptables=false', '--ip6tables=false', '--bridge=none', '--data-root', this.dataRoot,
      '--exec-root', join(this.dir, 'exec'), '--pidfile', join(this.dir, 'docker.pid'),
      '--host', `unix://${join(this.dir, 'docker.sock')}`, '--storage-driver', this.driver];
    this.proc = spawn('dockerd', args, { stdio: ['ignore', log, log], env: this.daemonEnv ?? process.env });
    closeSync(log);
    for (let i = 0; i < 300; i++) {
      if (this.proc.exitCode !== null) break;
      try {
        await this.docker(['version']);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`dockerd (${this.driver}) did not come up; see ${join(this.dir, 'dockerd.log')}`);
  }

  async docker(args: string[], cwd?: string): Promise<string> {
    const { stdout } = await run(DOCKER, args, { env: this.env, cwd, encoding: 'utf8' });
    return stdout;
  }

  /** GET on the Engine API over the daemon's socket (the client has no JSON form of system df -v). */
  api(path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = get({ socketPath: join(this.dir, 'docker.sock'), path }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${path}: ${res.statusCode}`))));
      });
      req.on('error', reject);
    });
  }

  /** SIGTERM, then SIGKILL after 20 s; afterwards nothing of this daemon is mounted. */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (p && p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    for (const m of mountsBelow(this.dir)) execFileSync('umount', ['-l', m]);
  }
}

/** Builds one data root for `driver` under `dir` (which must be empty or absent). */
export async function buildDockerRoot(driver: Driver, dir: string): Promise<DockerRoot> {
  const t0 = performance.now();
  const ctx = join(dir, 'ctx');
  mkdirSync(ctx, { recursive: true });
  writeBaseTar(dir, join(ctx, 'base.tar'));
  for (const [name, text] of Object.entries(DOCKERFILES)) writeFileSync(join(ctx, `Dockerfile.${name}`), text + '\n');
  const daemon = new Daemon(dir, driver);
  let systemDf: SystemDf = { Images: [] };
  try {
    await daemon.start();
    await daemon.docker(['import', join(ctx, 'base.tar'), 'base:1']);
    for (const [tag, file] of TAGS) await daemon.docker(['build', '-q', '-t', tag, '-f', `Dockerfile.${file}`, '.'], ctx);
    // One stopped container with a deletion, a new file and a removed dir in its RW layer.
    await daemon.docker(['run', '--network', 'none', '--name', 'c1', 'app:2', 'sh', '-c',
      'rm /data/a.txt; echo ctr > /data/new; rm -rf /data/tz']);
    systemDf = JSON.parse(await daemon.api('/system/df')) as SystemDf;
  } finally {
    await daemon.stop();
  }
  return { driver, dataRoot: join(dir, 'data'), seconds: (performance.now() - t0) / 1000, systemDf };
}

/** Builds both drivers' roots side by side in a fresh temp dir; `cleanup` removes everything. */
export async function buildBothRoots(): Promise<{ roots: Record<Driver, DockerRoot>; cleanup: () => void }> {
  const base = mkdtempSync(join(tmpdir(), 'ovl-dedup-docker-'));
  const cleanup = (): void => {
    for (const m of mountsBelow(base)) execFileSync('umount', ['-l', m]);
    rmSync(base, { recursive: true, force: true });
  };
  try {
    const [overlay, overlay2] = await Promise.all([
      buildDockerRoot('overlay', join(base, 'overlay')),
      buildDockerRoot('overlay2', join(base, 'overlay2')),
    ]);
    return { roots: { overlay, overlay2 }, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}
