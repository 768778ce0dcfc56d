#!/usr/bin/env node
// Applies patches/fuse-native+2.2.6.patch to the installed fuse-native and rebuilds its addon.
// Run by the root package's postinstall: npm 11 does not run dependency install scripts, and the
// prebuilt binary has the bugs the patch fixes (see the patch header). Idempotent: a marker
// holding the patch's hash skips the work when nothing changed.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const VERSION = '2.2.6'
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const patchFile = join(root, 'patches', `fuse-native+${VERSION}.patch`)

function fail (msg) {
  console.error(`patch-fuse-native: ${msg}`)
  process.exit(1)
}

function run (cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', ...opts })
}

// node-gyp ships inside npm; a devDependency copy wins if present.
function findNodeGyp () {
  const req = createRequire(join(root, 'package.json'))
  const candidates = []
  try { candidates.push(req.resolve('node-gyp/bin/node-gyp.js')) } catch {}
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
  return candidates.find(existsSync)
}

// Use the headers installed with node itself so node-gyp never downloads them.
function nodeDirArgs () {
  const prefix = resolve(dirname(process.execPath), '..')
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : []
}

function applyPatch (pkgDir, marker) {
  const base = ['-p1', '-s', '-f', '-d', pkgDir, '-i', patchFile]
  if (run('patch', ['--dry-run', '-R', ...base]).status === 0) return 'already applied'
  // An earlier version of the patch leaves files this one cannot apply to; the package must be
  // fetched again (patch cannot undo a version it no longer has).
  if (existsSync(marker)) fail(`${pkgDir} holds an earlier version of the patch: reinstall it with \`rm -rf ${pkgDir} && npm install\``)
  const res = run('patch', ['--forward', ...base])
  if (res.status !== 0) fail(`patch did not apply in ${pkgDir}: ${(res.stdout + res.stderr).trim()}`)
  return 'applied'
}

function main () {
  let pkgJson
  try {
    pkgJson = createRequire(join(root, 'package.json')).resolve('fuse-native/package.json')
  } catch {
    return console.log('patch-fuse-native: fuse-native not installed, nothing to do')
  }
  const pkgDir = dirname(pkgJson)
  const { version } = JSON.parse(readFileSync(pkgJson, 'utf8'))
  if (version !== VERSION) fail(`${pkgDir} is fuse-native ${version}, the patch is for ${VERSION}`)

  const hash = createHash('sha256').update(readFileSync(patchFile)).digest('hex')
  const marker = join(pkgDir, '.ovlkit-patch')
  const addon = join(pkgDir, 'build', 'Release', 'fuse.node')
  if (existsSync(addon) && existsSync(marker) && readFileSync(marker, 'utf8').trim() === hash) {
    return console.log('patch-fuse-native: up to date')
  }

  const how = applyPatch(pkgDir, marker)
  const gyp = findNodeGyp()
  if (!gyp) fail('node-gyp not found (neither a devDependency nor inside npm)')
  const build = run(process.execPath, [gyp, 'rebuild', ...nodeDirArgs()], { cwd: pkgDir })
  if (build.status !== 0) fail(`node-gyp rebuild failed (needs a C compiler and libfuse-dev):\n${build.stdout}${build.stderr}`)

  const check = run(process.execPath, ['-e', `process.exit(require(${JSON.stringify(pkgDir)}).FEATURE_LEVEL === 2 ? 0 : 1)`])
  if (check.status !== 0) fail(`rebuilt addon does not load as patched: ${check.stderr.trim()}`)
  writeFileSync(marker, hash + '\n')
  console.log(`patch-fuse-native: patch ${how}, addon rebuilt in ${pkgDir}/build/Release`)
}

main()
