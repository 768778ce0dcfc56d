// rawArgs: a command's arguments with the bytes node's argv loses (src/sys/raw-args.ts). The
// /proc/self/cmdline path is run through real commands in test/fuse/byte-paths.test.ts; here the
// parts that need no process of their own.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { decodeName, nameBytes } from '../format/byte-names.js';
import { ARGS_ENV, argsEnv, rawArgs, splitCmdline } from './raw-args.js';

const b = (latin1: string) => decodeName(Buffer.from(latin1, 'latin1'));
/** What node's argv holds for an argument of these bytes. */
const lossy = (s: string) => nameBytes(s).toString('utf8');

t.test('splitCmdline: NUL-terminated arguments, each decoded byte for byte', async (t) => {
  t.same(splitCmdline(Buffer.from('node\0s.js\0-o\0lowerdir=/a\xe9\0\0', 'latin1')), ['node', 's.js', '-o', b('lowerdir=/a\xe9'), '']);
  t.same(splitCmdline(Buffer.from('x\0caf\xc3\xa9', 'latin1')), ['x', 'café'], 'UTF-8 decoded; no NUL at the end');
});

t.test('arguments handed in ARGS_ENV are taken when node\'s argv is them with bytes lost, and read once', async (t) => {
  const args = ['-f', '-o', b('lowerdir=/l\xe9'), '/m'];
  const env: NodeJS.ProcessEnv = argsEnv(args);
  t.match(env[ARGS_ENV], /^[\x20-\x7e]+$/, 'ASCII, for the environment');
  t.same(rawArgs(['node', 's.js', ...args.map(lossy)], env), args);
  t.equal(env[ARGS_ENV], undefined, 'gone from the environment: a program started next gets its own');
  t.same(argsEnv(['-o', 'lowerdir=/café']), {}, 'nothing to hand when argv carries them whole');
});

t.test('handed arguments that are not these are not believed', async (t) => {
  const argv = ['node', 's.js', '-f', lossy(b('/x\xe9'))];
  for (const handed of [JSON.stringify([b('/y\xe9')]), JSON.stringify(['-f', b('/y\xe9')]), '{', JSON.stringify([1, 2])]) {
    // cmdline (this tap process's own) is not these arguments either: argv comes back as it was.
    t.same(rawArgs(argv, { [ARGS_ENV]: handed }), argv.slice(2), handed);
  }
  t.same(rawArgs(['node', 's.js', 'a', 'b'], {}), ['a', 'b'], 'valid UTF-8: argv itself, cmdline not read');
});

t.test('a real process: its bytes from /proc/self/cmdline, node\'s own options before the script left out', async (t) => {
  const mod = fileURLToPath(new URL('./raw-args.ts', import.meta.url));
  const script = `import(${JSON.stringify(mod)}).then((m) => console.log(JSON.stringify(m.rawArgs())))`;
  // bash's $'\\xe9' is the byte: node's spawn would send the argument as UTF-8. With -e, node's
  // argv[1] is the first argument after `--` (where a script's path would be).
  const r = spawnSync('bash', ['-c', `exec "$NODE" --import="$TS" --no-warnings -e "$JS" -- script.js a $'caf\\xe9' $'\\xff\\xfe' 'ok é'`], {
    encoding: 'utf8',
    env: { ...process.env, NODE: process.execPath, JS: script, TS: tsLoader() },
  });
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(r.stdout), ['a', b('caf\xe9'), b('\xff\xfe'), 'ok é']);
});

/** The TypeScript loader tap runs this file with, so a child can import the .ts module too. */
function tsLoader(): string {
  const loader = process.execArgv.find((a) => a.includes('@tapjs/typescript'));
  return loader?.replace(/^--import=/, '') ?? '';
}
