// Resolve and load hooks for test/loader/register.mjs. Sources import `./x.js` (NodeNext style)
// where only `./x.ts` exists; when such a specifier (relative or a file: URL, with or without a
// query like tap's ?tapmock=…) is not found, it is asked again as `./x.ts`, as ts-node does, and
// esbuild transforms that file as an ES module.
// Not minified: V8 coverage ranges must map back to single .ts lines.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    // Asked first as written, so hooks ahead of this one (tap's mocks) see the specifier they know.
    const ts = tsTwin(specifier, context.parentURL);
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || ts === null) throw err;
    return nextResolve(ts, context);
  }
}

/** The .ts file for a relative or file: specifier ending in .js (query kept), when that file exists. */
function tsTwin(specifier, parentURL) {
  if (!/^(\.{1,2}\/|file:)/.test(specifier) || !parentURL?.startsWith('file:')) return null;
  const url = new URL(specifier, parentURL);
  if (!url.pathname.endsWith('.js')) return null;
  url.pathname = url.pathname.slice(0, -3) + '.ts';
  return existsSync(url) ? url.href : null;
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:')) return nextLoad(url, context);
  const u = new URL(url);
  if (!u.pathname.endsWith('.ts')) return nextLoad(url, context);
  u.search = '';
  const file = fileURLToPath(u);
  const out = await transform(await readFile(file, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: `node${process.versions.node}`,
    sourcemap: 'inline',
    sourcefile: file,
  });
  return { format: 'module', source: out.code, shortCircuit: true };
}
