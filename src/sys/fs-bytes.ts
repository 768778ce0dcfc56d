// node:fs's path functions for paths that hold names of the layers, byte for byte. node encodes a
// string path as UTF-8, which turns the escaped bytes of a name that is not UTF-8
// (../format/byte-names.ts) into U+FFFD; these pass such a path as a Buffer of its bytes and are
// otherwise node's own (same arguments, same results, same errors), so a module swaps its import
// and nothing else. A path without such a name is passed on as the string it is (one regex test).
// readlinkSync's string result is decoded the same way, so a link text that is not UTF-8 comes
// back as bytes too. Paths that only ever come from options or the daemon itself (the workdir's
// own names, /proc) may keep using node:fs.
import * as fs from 'node:fs';
import { decodeName, osPath } from '../format/byte-names.js';

type Path = string;

export const lstatSync = ((path: Path, o?: fs.StatSyncOptions) => fs.lstatSync(osPath(path), o)) as typeof fs.lstatSync;
export const statSync = ((path: Path, o?: fs.StatSyncOptions) => fs.statSync(osPath(path), o)) as typeof fs.statSync;
export const statfsSync = ((path: Path, o?: fs.StatFsOptions) => fs.statfsSync(osPath(path), o)) as typeof fs.statfsSync;
export const openSync = (path: Path, flags: number, mode?: number): number => fs.openSync(osPath(path), flags, mode);
export const linkSync = (existing: Path, newPath: Path): void => fs.linkSync(osPath(existing), osPath(newPath));
/** A link's text is bytes already when given as a Buffer. */
export const symlinkSync = (target: Path | Buffer, path: Path): void =>
  fs.symlinkSync(typeof target === 'string' ? osPath(target) : target, osPath(path));
export const mkdirSync = ((path: Path, o?: fs.MakeDirectoryOptions | number) => fs.mkdirSync(osPath(path), o)) as typeof fs.mkdirSync;
export const chmodSync = (path: Path, mode: number): void => fs.chmodSync(osPath(path), mode);
export const lchownSync = (path: Path, uid: number, gid: number): void => fs.lchownSync(osPath(path), uid, gid);
export const renameSync = (from: Path, to: Path): void => fs.renameSync(osPath(from), osPath(to));
export const rmSync = (path: Path, o?: fs.RmOptions): void => fs.rmSync(osPath(path), o);
export const rmdirSync = (path: Path): void => fs.rmdirSync(osPath(path));
export const unlinkSync = (path: Path): void => fs.unlinkSync(osPath(path));
export const truncateSync = (path: Path, len?: number): void => fs.truncateSync(osPath(path), len);

/** readlink(2): the link's bytes as a Buffer with `{ encoding: 'buffer' }`, else as a string holding them. */
export function readlinkSync(path: Path): string;
export function readlinkSync(path: Path, o: { encoding: 'buffer' }): Buffer;
export function readlinkSync(path: Path, o?: { encoding: 'buffer' }): string | Buffer {
  const bytes = fs.readlinkSync(osPath(path), { encoding: 'buffer' });
  return o === undefined ? decodeName(bytes) : bytes;
}

// The rest of what ovl-check's executor and observer call on paths of the trees they build and
// read (src/conformance), which may hold such names too.
export const readFileSync = ((path: Path, o?: unknown) => fs.readFileSync(osPath(path), o as undefined)) as typeof fs.readFileSync;
export const writeFileSync = (path: Path, data: string | NodeJS.ArrayBufferView, o?: fs.WriteFileOptions): void => fs.writeFileSync(osPath(path), data, o);
export const copyFileSync = (from: Path, to: Path, mode?: number): void => fs.copyFileSync(osPath(from), osPath(to), mode);
export const chownSync = (path: Path, uid: number, gid: number): void => fs.chownSync(osPath(path), uid, gid);
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
