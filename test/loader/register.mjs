// tap's TypeScript loader (.taprc node-arg `--import=./test/loader/register.mjs`): esbuild strips
// the types of each .ts module as Node loads it, with an inline source map so coverage maps to the
// .ts lines. It replaces @tapjs/typescript's ts-node, which loads the TypeScript compiler into
// every test process (measured: ~1.9 s of a trivial test file's 3.1 s under tap; see docs/testing.md).
// Types are checked once by `npm run typecheck`, as before (ts-node ran transpile-only too).
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
