// fast-check arbitraries for scenarios, driven by a suite's weights. Everything generated is
// plain data; ops and scenarios get a non-enumerable toString (and fast-check's toString hook)
// so a counterexample prints as the calls it makes, while JSON.stringify still saves plain data.
import fc from 'fast-check';
import { ACL_ACCESS, ACL_DEFAULT, OverlayXattrs } from '../format/index.js';
import type { Op, OpName } from './ops.js';
import { USER_OPS, describeOp } from './ops.js';
import { type Layer, type LayerEntry, type Scenario, layerName, layerToString, OLD_TIME_LIMIT_SEC, SETUP_TIME_SEC } from './scenario.js';
import type { SuiteConfig } from './suite.js';

const ovl = new OverlayXattrs(false);

function withToString<T extends object>(value: T, fn: (v: T) => string): T {
  const str = () => fn(value);
  Object.defineProperty(value, 'toString', { value: str, enumerable: false, configurable: true });
  Object.defineProperty(value, fc.toStringMethod, { value: str, enumerable: false, configurable: true });
  return value;
}

/** A scenario as readable lines: layers, then one op per line. */
export function scenarioToString(s: Scenario): string {
  const lines = [...s.lowers.map((l, i) => layerToString(layerName(i), l)).filter((l, i) => s.lowers.length < 10 || !l.endsWith('(empty)') || i === 0)];
  if (s.lowers.length >= 10) lines.push(`(${s.lowers.length} lowers, empty ones not shown)`);
  lines.push(layerToString('upper', s.upper));
  if (s.options && Object.keys(s.options).length) lines.push(`options: ${JSON.stringify(s.options)}`);
  s.ops.forEach((o, i) => lines.push(`${i + 1}. ${describeOp(o)}`));
  return lines.join('\n');
}

export function attachToString(s: Scenario): Scenario {
  s.ops.forEach((o) => withToString(o, describeOp));
  return withToString(s, scenarioToString);
}

const text = fc.string({ unit: fc.constantFrom('a', 'b', 'x', 'y', 'Z'), maxLength: 6 });

function pathArb(cfg: SuiteConfig): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...cfg.names), { minLength: 1, maxLength: cfg.depth }).map((c) => c.join('/'));
}

/**
 * The target of a generated dangling absolute symlink. Ops run as root in the host's namespace, so
 * an absolute target resolves on the host: with `/nonexistent`, an op that creates through the
 * link (write, append, add) made /nonexistent on the machine, and later scenarios read and mapped
 * that file, so a run wrote outside its sandbox and its results depended on earlier runs (an
 * `mmap` through the link differed between the kernel and the target by what the other had
 * written). Nothing can be created in /proc/self: every op through this link answers the same
 * errno on every run and target, and a dangling absolute link is still what is exercised.
 */
export const DANGLING_TARGET = '/proc/self/ovl-check-nonexistent';

/** The user that ops run as in suites with `asUser`, and that layer objects may belong to or name in ACLs. */
export const USER = 1000;

/**
 * Access ACLs that matter to USER: one that grants it more than the mode does, one that denies it
 * what "other" allows, a named group, a mask narrower than the named entry, and the minimal one.
 */
const ACCESS_ACLS = [
  `u::rw-,u:${USER}:rw-,g::r--,m::rw-,o::---`,
  `u::rw-,u:${USER}:---,g::rw-,m::rw-,o::rw-`,
  `u::rwx,g::r-x,g:${USER}:rwx,m::rwx,o::---`,
  `u::rw-,u:${USER}:rw-,g::r--,m::r--,o::r--`,
  'u::rwx,g::r-x,o::r-x',
];
/** Access ACLs of dirs (x is search): USER let into a dir the mode keeps it out of, listing without search, denied, a group's. */
const DIR_ACLS = [
  `u::rwx,u:${USER}:rwx,g::r-x,m::rwx,o::---`,
  `u::rwx,u:${USER}:r--,g::r-x,m::r-x,o::r-x`,
  `u::rwx,u:${USER}:---,g::rwx,m::rwx,o::rwx`,
  `u::rwx,g::r-x,g:${USER}:rwx,m::r-x,o::---`,
];
/** Default ACLs of dirs: what new objects inside inherit (and a named entry a new dir passes on). */
const DEFAULT_ACLS = [`u::rwx,u:${USER}:rwx,g::r-x,m::rwx,o::---`, 'u::rwx,g::rwx,o::---', `u::rwx,g::r-x,g:${USER}:rw-,m::rw-,o::r-x`];

function accessArb(cfg: SuiteConfig, kind: 'file' | 'dir'): fc.Arbitrary<{ owner?: number; acl?: string; defaultAcl?: string }> {
  const none = fc.constant(undefined);
  return fc.record(
    {
      owner: cfg.asUser ? fc.option(fc.constant(USER), { nil: undefined }) : none,
      acl: cfg.acls ? fc.option(fc.constantFrom(...(kind === 'dir' ? DIR_ACLS : ACCESS_ACLS)), { nil: undefined }) : none,
      defaultAcl: cfg.acls && kind === 'dir' ? fc.option(fc.constantFrom(...DEFAULT_ACLS), { nil: undefined }) : none,
    },
    { requiredKeys: [] },
  );
}

function entryArb(cfg: SuiteConfig): fc.Arbitrary<LayerEntry> {
  const path = pathArb(cfg);
  const xattrs = cfg.xattrs
    ? fc.option(fc.dictionary(fc.constantFrom('user.a', 'user.b'), text, { maxKeys: 2 }), { nil: undefined })
    : fc.constant(undefined);
  // With other users: dirs anyone may write in, sticky (only owners remove) and set-group-ID ones.
  const dirModes = cfg.asUser ? [0o755, 0o700, 0o555, 0o777, 0o1777, 0o2775] : [0o755, 0o700, 0o555];
  const fileModes = cfg.asUser ? [0o644, 0o600, 0o755, 0o444, 0o666, 0o4755, 0o2755] : [0o644, 0o600, 0o755, 0o444];
  const kinds: Record<LayerEntry['kind'], fc.Arbitrary<LayerEntry>> = {
    file: fc
      .record({ path, content: text, mode: fc.constantFrom(...fileModes), xattrs, access: accessArb(cfg, 'file') })
      .map(({ access, ...e }) => ({ ...e, ...access, kind: 'file' as const })),
    dir: fc
      .record({ path, mode: fc.constantFrom(...dirModes), opaque: cfg.opaqueDirs ? fc.boolean() : fc.constant(false), xattrs, access: accessArb(cfg, 'dir') })
      .map(({ access, ...e }) => ({ ...e, ...access, kind: 'dir' as const })),
    symlink: fc.record({ path, target: fc.oneof(path, fc.constantFrom('../a', DANGLING_TARGET)) }).map((e) => ({ ...e, kind: 'symlink' as const })),
    hardlink: fc.record({ path, to: path }).map((e) => ({ ...e, kind: 'hardlink' as const })),
    fifo: fc.record({ path, mode: fc.constant(0o644) }).map((e) => ({ ...e, kind: 'fifo' as const })),
    chr: fc.record({ path, mode: fc.constant(0o644), major: fc.constant(1), minor: fc.constant(3) }).map((e) => ({ ...e, kind: 'chr' as const })),
    whiteout: fc.record({ path }).map((e) => ({ ...e, kind: 'whiteout' as const })),
    xwhiteout: fc.record({ path }).map((e) => ({ ...e, kind: 'xwhiteout' as const })),
    exe: fc.record({ path }).map((e) => ({ ...e, kind: 'exe' as const })),
  };
  const weighted = Object.entries(cfg.entries)
    .filter(([, w]) => (w ?? 0) > 0)
    .map(([k, w]) => ({ arbitrary: kinds[k as LayerEntry['kind']], weight: w! }));
  // Strip undefined optionals so saved scenarios stay minimal JSON.
  return fc.oneof(...weighted).map((e) => JSON.parse(JSON.stringify(e)) as LayerEntry);
}

function layerArb(cfg: SuiteConfig, maxEntries = cfg.maxEntries): fc.Arbitrary<Layer> {
  return fc.uniqueArray(entryArb(cfg), { selector: (e) => e.path, maxLength: maxEntries }).map((entries) => ({ entries }));
}

function lowerArb(cfg: SuiteConfig): fc.Arbitrary<Layer> {
  const density = cfg.layerDensity ?? 100;
  if (density >= 100) return layerArb(cfg);
  return fc.oneof({ arbitrary: layerArb(cfg), weight: density }, { arbitrary: fc.constant(null).map((): Layer => ({ entries: [] })), weight: 100 - density });
}

/** Arbitraries for every op kind; a suite picks kinds by weight. */
function opArbs(cfg: SuiteConfig): Record<OpName, fc.Arbitrary<Op>> {
  const path = pathArb(cfg);
  const dirPath = fc.oneof(fc.constant('.'), path);
  const mode = fc.constantFrom(0o644, 0o600, 0o755, 0o700, 0o444, 0o4755);
  const fd = fc.integer({ min: 0, max: 1 });
  // Overlay-namespace names through the mount exercise the kernel's escaping (spec S32).
  const xnames = ['user.a', 'user.b', ovl.name('opaque'), ovl.prefix + 'x'];
  const xname = fc.constantFrom(...(cfg.acls ? [...xnames, ACL_ACCESS, ACL_DEFAULT] : xnames));
  const oldTime = fc.integer({ min: SETUP_TIME_SEC - 1000, max: OLD_TIME_LIMIT_SEC - 1 });
  const offset = fc.integer({ min: 0, max: 8 });
  const r = <T extends Op['op']>(op: T, fields: Record<string, fc.Arbitrary<unknown>>) =>
    fc.record(fields).map((f) => JSON.parse(JSON.stringify({ op, ...f })) as Op);
  return {
    read: r('read', { path }),
    write: r('write', { path, offset, data: text }),
    append: r('append', { path, data: text }),
    create: r('create', { path, data: text, mode, excl: fc.boolean() }),
    open: r('open', {
      path,
      access: fc.constantFrom('r', 'w', 'rw'),
      trunc: fc.boolean(),
      append: fc.boolean(),
      creat: fc.boolean(),
      excl: fc.boolean(),
      fd: fc.option(fd, { nil: undefined }),
    }),
    fdRead: r('fdRead', { fd, offset, length: fc.integer({ min: 1, max: 16 }) }),
    fdWrite: r('fdWrite', { fd, offset, data: text }),
    fdStat: r('fdStat', { fd }),
    close: r('close', { fd }),
    truncate: r('truncate', { path, size: fc.integer({ min: 0, max: 10 }) }),
    stat: r('stat', { path: dirPath }),
    lstat: r('lstat', { path: dirPath }),
    readdir: r('readdir', { path: dirPath }),
    opendir: r('opendir', { path: dirPath, dir: fd }),
    relist: r('relist', { dir: fd }),
    closedir: r('closedir', { dir: fd }),
    mkdir: r('mkdir', { path, mode: fc.constantFrom(0o755, 0o700) }),
    rmdir: r('rmdir', { path }),
    unlink: r('unlink', { path }),
    rename: r('rename', { from: path, to: path, flag: fc.option(fc.constantFrom('noreplace', 'exchange'), { nil: undefined }) }),
    link: r('link', { from: path, to: path }),
    symlink: r('symlink', { target: fc.oneof(path, fc.constant(DANGLING_TARGET)), path }),
    readlink: r('readlink', { path }),
    chmod: r('chmod', { path, mode }),
    chown: r('chown', { path, uid: fc.constantFrom(0, 1000), gid: fc.constantFrom(0, 1000) }),
    utimes: r('utimes', { path, atime: oldTime, mtime: oldTime }),
    getxattr: r('getxattr', { path, name: xname }),
    setxattr: r('setxattr', { path, name: xname, value: text, mode: fc.option(fc.constantFrom('create', 'replace'), { nil: undefined }) }),
    listxattr: r('listxattr', { path }),
    removexattr: r('removexattr', { path, name: xname }),
    setacl: fc.oneof(
      r('setacl', { path, which: fc.constant('access'), acl: fc.constantFrom(...ACCESS_ACLS, ...DIR_ACLS) }),
      r('setacl', { path, which: fc.constant('default'), acl: fc.constantFrom(...DEFAULT_ACLS) }),
    ),
    getacl: r('getacl', { path: dirPath, which: fc.constantFrom('access', 'default') }),
    mknod: fc.oneof(
      r('mknod', { path, type: fc.constant('fifo'), mode: fc.constant(0o644) }),
      r('mknod', { path, type: fc.constant('chr'), mode: fc.constant(0o644), major: fc.constantFrom(0, 1), minor: fc.constantFrom(0, 3) }),
    ),
    statfs: fc.constant({ op: 'statfs' }),
    dropCaches: fc.constant({ op: 'dropCaches' }),
    mutate: r('mutate', {
      layer: fc.integer({ min: -1, max: Math.max(0, cfg.lowers[1] - 1) }),
      action: fc.constantFrom('write', 'replace', 'delete', 'add', 'mkdir', 'rename', 'whiteout', 'opaque', 'chmod'),
      path,
      to: path,
      data: text,
    }),
    remount: fc.constant({ op: 'remount' }),
    rotate: fc.constant({ op: 'rotate' }),
    mmap: r('mmap', { path, offset: fc.integer({ min: 0, max: 4 }), data: text }),
    mapOpen: r('mapOpen', { path, access: fc.constantFrom('r', 'rw'), map: fd }),
    mapRead: r('mapRead', { map: fd }),
    mapWrite: r('mapWrite', { map: fd, offset: fc.integer({ min: 0, max: 4 }), data: text }),
    unmap: r('unmap', { map: fd }),
    direct: r('direct', { path, data: fc.option(text, { nil: undefined }) }),
    statx: r('statx', { path: dirPath }),
    ctime: r('ctime', { path: dirPath, via: fc.constantFrom('chown', 'chmod', 'xattr', 'read') }),
    dirents: r('dirents', { path: dirPath }),
    chattr: r('chattr', { path: dirPath, flag: fc.constantFrom('+a', '-a', '+i', '-i', '+A', '-A', '+S', '-S') }),
    lsattr: r('lsattr', { path: dirPath }),
    exec: r('exec', { path }),
    spawn: r('spawn', { path, proc: fd }),
    kill: r('kill', { proc: fd }),
  };
}

export function opArb(cfg: SuiteConfig): fc.Arbitrary<Op> {
  const all = opArbs(cfg);
  const weighted = Object.entries(cfg.ops)
    .filter(([, w]) => (w ?? 0) > 0)
    .map(([k, w]) => ({ arbitrary: all[k as OpName], weight: w! }));
  const op = fc.oneof(...weighted);
  const share = cfg.asUser ?? 0;
  if (share <= 0) return op;
  return fc
    .tuple(op, fc.integer({ min: 0, max: 99 }))
    // High rolls are the user's: shrinking (toward 0) turns an op back to root where the difference allows.
    .map(([o, roll]) => (roll >= 100 - share && USER_OPS.has(o.op) ? { ...o, as: USER } : o));
}

/** Scenarios for one suite. */
export function scenarioArb(cfg: SuiteConfig): fc.Arbitrary<Scenario> {
  return fc
    .record({
      lowers: fc.array(lowerArb(cfg), { minLength: cfg.lowers[0], maxLength: cfg.lowers[1] }),
      upper: layerArb(cfg),
      ops: fc.array(opArb(cfg), { maxLength: cfg.maxOps }),
    })
    .map((s) => {
      const sc: Scenario = { ...s };
      if (cfg.options && Object.keys(cfg.options).length) sc.options = cfg.options;
      if (cfg.separateLowerFs) sc.separateLowerFs = true;
      return attachToString(sc);
    });
}
