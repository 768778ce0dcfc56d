// node:fs's path functions for paths that hold names of the layers, byte for byte. node encodes a
// string path as UTF-8, which turns the escaped bytes of a name that is not UTF-8
// (../format/byte-names.ts) into U+FFFD; these pass such a path as a Buffer of its bytes and are
// otherwise node's own (same arguments, same results, same errors), so a module swaps its import
// and nothing else. A path without such a name is passed on as the string it is (one regex test).
// A path below a held dir fd (`/proc/self/fd/N/…`: a layer reached through a clone of its mount)
// goes to the *at syscall on that fd instead (./held-fs.ts says why), failing as an OvlError with
// node's error code.
// readlinkSync's string result is decoded the same way, so a link text that is not UTF-8 comes
// back as bytes too. Paths that only ever come from options or the daemon itself (the workdir's
// own names, /proc) may keep using node:fs.
import * as fs from 'node:fs';
import { decodeName, osPath } from '../format/byte-names.js';
import { heldDir } from './held-path.js';
import { chmodAt, chownAt, heldSplit, linkOrRename, mkdirAt, openAt, readlinkAt, symlinkAt, unlinkAt } from './held-fs.js';

type Path = string;

export const lstatSync = ((path: Path, o?: fs.StatSyncOptions) => fs.lstatSync(osPath(path), o)) as typeof fs.lstatSync;
export const statSync = ((path: Path, o?: fs.StatSyncOptions) => fs.statSync(osPath(path), o)) as typeof fs.statSync;
export const statfsSync = ((path: Path, o?: fs.StatFsOptions) => fs.statfsSync(osPath(path), o)) as typeof fs.statfsSync;
export function openSync(path: Path, flags: number, mode = 0o666): number {
  const rest = heldSplit(path);
  return rest === null ? fs.openSync(osPath(path), flags, mode) : openAt(heldDir, rest, path, flags, mode);
}
export const linkSync = (existing: Path, newPath: Path): void =>
  isHeld(existing) || isHeld(newPath) ? linkOrRename(existing, newPath, 'link') : fs.linkSync(osPath(existing), osPath(newPath));
/** A link's text is bytes already when given as a Buffer. */
export function symlinkSync(target: Path | Buffer, path: Path): void {
  const rest = heldSplit(path);
  if (rest !== null) return symlinkAt(target, heldDir, rest, path);
  fs.symlinkSync(typeof target === 'string' ? osPath(target) : target, osPath(path));
}
export const mkdirSync = ((path: Path, o?: fs.MakeDirectoryOptions | number) => {
  const m = typeof o === 'number' ? o : o?.recursive ? null : (o?.mode ?? 0o777);
  // node reads a string mode as octal.
  const mode = typeof m === 'string' ? parseInt(m, 8) : m;
  const rest = mode === null ? null : heldSplit(path);
  if (rest === null) return fs.mkdirSync(osPath(path), o);
  mkdirAt(heldDir, rest, path, mode!);
  return undefined;
}) as typeof fs.mkdirSync;
export function chmodSync(path: Path, mode: number): void {
  const rest = heldSplit(path);
  return rest === null ? fs.chmodSync(osPath(path), mode) : chmodAt(heldDir, rest, path, mode);
}
export function lchownSync(path: Path, uid: number, gid: number): void {
  const rest = heldSplit(path);
  return rest === null ? fs.lchownSync(osPath(path), uid, gid) : chownAt(heldDir, rest, path, uid, gid, false);
}
export const renameSync = (from: Path, to: Path): void =>
  isHeld(from) || isHeld(to) ? linkOrRename(from, to, 'rename') : fs.renameSync(osPath(from), osPath(to));
export const rmSync = (path: Path, o?: fs.RmOptions): void => fs.rmSync(osPath(path), o);
export function rmdirSync(path: Path): void {
  const rest = heldSplit(path);
  return rest === null ? fs.rmdirSync(osPath(path)) : unlinkAt(heldDir, rest, path, true);
}
export function unlinkSync(path: Path): void {
  const rest = heldSplit(path);
  return rest === null ? fs.unlinkSync(osPath(path)) : unlinkAt(heldDir, rest, path, false);
}
export const truncateSync = (path: Path, len?: number): void => fs.truncateSync(osPath(path), len);

/** readlink(2): the link's bytes as a Buffer with `{ encoding: 'buffer' }`, else as a string holding them. */
export function readlinkSync(path: Path): string;
export function readlinkSync(path: Path, o: { encoding: 'buffer' }): Buffer;
export function readlinkSync(path: Path, o?: { encoding: 'buffer' }): string | Buffer {
  const rest = heldSplit(path);
  const bytes = rest === null ? fs.readlinkSync(osPath(path), { encoding: 'buffer' }) : readlinkAt(heldDir, rest, path);
  return o === undefined ? decodeName(bytes) : bytes;
}

// The rest of what ovl-check's executor and observer call on paths of the trees they build and
// read (src/conformance), which may hold such names too.
export const readFileSync = ((path: Path, o?: unknown) => fs.readFileSync(osPath(path), o as undefined)) as typeof fs.readFileSync;
export const writeFileSync = (path: Path, data: string | NodeJS.ArrayBufferView, o?: fs.WriteFileOptions): void => fs.writeFileSync(osPath(path), data, o);
export const copyFileSync = (from: Path, to: Path, mode?: number): void => fs.copyFileSync(osPath(from), osPath(to), mode);
export function chownSync(path: Path, uid: number, gid: number): void {
  const rest = heldSplit(path);
  return rest === null ? fs.chownSync(osPath(path), uid, gid) : chownAt(heldDir, rest, path, uid, gid, true);
}
export const lutimesSync = (path: Path, atime: fs.TimeLike, mtime: fs.TimeLike): void => fs.lutimesSync(osPath(path), atime, mtime);
export const existsSync = (path: Path): boolean => fs.existsSync(osPath(path));
/**
 * realpath(3) of a path that may hold such names, its result holding its bytes (also those a
 * symlink on the way led to). libc's: node's JS realpathSync turns a Buffer path into a UTF-8
 * string on its way, losing the bytes.
 */
export const realpathSync = (path: Path): string => decodeName(fs.realpathSync.native(osPath(path), { encoding: 'buffer' }));
export const accessSync = (path: Path, mode?: number): void => fs.accessSync(osPath(path), mode);
/** mkdtemp(3) below a prefix that may hold such names (node takes a Buffer there too, its types say string only); the dir made, holding its bytes. */
export const mkdtempSync = (prefix: Path): string => decodeName(fs.mkdtempSync(osPath(prefix) as string, { encoding: 'buffer' }));
/** A dir's names, each holding its bytes. */
export const readdirSync = (path: Path): string[] => fs.readdirSync(osPath(path), { encoding: 'buffer' }).map((n) => decodeName(n));

/** Below a held dir fd? (./held-path.ts) */
function isHeld(path: Path): boolean {
  return heldSplit(path) !== null;
}
