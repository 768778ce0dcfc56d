// What the calling task may do beyond its fsuid and fsgid: its supplementary groups and effective
// capabilities. A FUSE request carries only uid, gid and pid, so these come from /proc/<pid>/status,
// read only on the rare paths that need them (set-group-ID kept or cleared, trusted.* listed).
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { Caller } from './overlay.js';

export const CAP_FOWNER = 3;
export const CAP_FSETID = 4;
export const CAP_SYS_ADMIN = 21;

/** /proc/<pid>/status of a task (a thread id works too); null when it is gone or unreadable. */
function procStatus(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return null;
  }
}

/** The calling task's supplementary groups and effective capabilities, from /proc; null when unknown or gone. */
export function taskCreds(caller: Caller): { groups: string[]; capEff: bigint } | null {
  if (caller.pid === undefined || caller.pid === 0) return null;
  const status = procStatus(caller.pid);
  if (status === null) return null;
  const groups = /^Groups:\s*(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [];
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return { groups, capEff: capEff === undefined ? 0n : BigInt(`0x${capEff}`) };
}

export const holds = (creds: { capEff: bigint }, cap: number): boolean => (creds.capEff & (1n << BigInt(cap))) !== 0n;

/** A file's owner and group, as a capability check over it needs them. */
export interface Owner {
  uid: number;
  gid: number;
}

/**
 * The VFS's in_group_or_capable for the caller: in the file's group (fsgid or a supplementary
 * group) or holding CAP_FSETID over the file (capableOver). The request carries only the fsgid;
 * the rest is the calling task's, read from /proc only on this rare path (a set-group-ID file
 * without group-execute whose group is not the caller's). A task gone by then counts as in the
 * group: the bit stays, as before kernel 6.2.
 */
export function inGroupOrCapable(caller: Caller, owner: Owner): boolean {
  if (caller.gid === owner.gid) return true;
  const creds = taskCreds(caller);
  return creds === null || creds.groups.includes(String(owner.gid)) || capableOver(caller, creds, CAP_FSETID, owner);
}

/**
 * Whether the caller, whose effective capabilities are `creds`, holds `cap` over a file of
 * `owner` (the VFS's capable_wrt_inode_uidgid; with `uidOnly`, inode_owner_or_capable's test,
 * which asks only that the owner be mapped). CapEff counts in the task's own user namespace: root
 * in a user namespace of its own (`unshare -Ur`, a rootless container) holds its capabilities
 * only over files whose owner and group that namespace maps, not over the host's root-owned ones
 * (before 2026-12-07 ovl-fuse let such a caller strip another user's set-user-ID bit). A task
 * gone by then counts as in our namespace.
 */
export function capableOver(caller: Caller, creds: { capEff: bigint }, cap: number, owner: Owner, uidOnly = false): boolean {
  if (!holds(creds, cap)) return false;
  if (caller.pid === undefined || inOurUserNs(caller.pid)) return true;
  return mapped(caller.pid, 'uid', owner.uid) && (uidOnly || mapped(caller.pid, 'gid', owner.gid));
}

/**
 * Whether task `pid`'s user namespace maps our id `id`. Read by a task of another namespace, a
 * line of /proc/PID/uid_map (`inside outside count`) gives `outside` in the reader's namespace
 * (user_namespaces(7)), which is ours. Unreadable: not mapped.
 */
function mapped(pid: number, kind: 'uid' | 'gid', id: number): boolean {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/${kind}_map`, 'latin1');
  } catch {
    return false;
  }
  for (const line of text.split('\n')) {
    const [, outside, count] = line.trim().split(/\s+/).map(Number);
    if (outside !== undefined && count !== undefined && id >= outside && id < outside + count) return true;
  }
  return false;
}

/**
 * Whether the calling task holds overlay inode `ino` open for writing on a FUSE mount: its own
 * fd table (/proc/PID/fdinfo gives each fd's `flags`, `mnt_id` and `ino`; the mount's type comes
 * from the task's mountinfo). A write's file_remove_privs reaches the daemon as a SETATTR without
 * fields from the writer, who holds such an fd (an inherited one too); a chown(f, -1, -1) by
 * another user while someone else writes the file does not (before 2026-12-07 any writer let it
 * through). Asked only on that rare path; a task gone by then counts as holding it.
 */
export function holdsForWriting(caller: Caller, ino: number): boolean {
  if (caller.pid === undefined || caller.pid === 0) return true;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${caller.pid}/fdinfo`);
  } catch {
    return true;
  }
  const mounts = new Set<string>();
  for (const fd of fds) {
    let info: string;
    try {
      info = readFileSync(`/proc/${caller.pid}/fdinfo/${fd}`, 'latin1');
    } catch {
      continue; // closed meanwhile
    }
    const flags = /^flags:\s*([0-7]+)$/m.exec(info)?.[1];
    if (/^ino:\s*(\d+)$/m.exec(info)?.[1] !== String(ino) || flags === undefined) continue;
    const access = Number.parseInt(flags, 8) & 0o3;
    const mnt = /^mnt_id:\s*(\d+)$/m.exec(info)?.[1];
    if ((access === 1 || access === 2) && mnt !== undefined) mounts.add(mnt);
  }
  if (mounts.size === 0) return false;
  let mountinfo: string;
  try {
    mountinfo = readFileSync(`/proc/${caller.pid}/mountinfo`, 'latin1');
  } catch {
    return true;
  }
  // `ID PARENT MAJ:MIN ROOT POINT OPTIONS [TAGS] - FSTYPE SOURCE SUPER`
  for (const line of mountinfo.split('\n')) {
    const id = line.slice(0, line.indexOf(' '));
    if (mounts.has(id) && /\s-\s+fuse[.\s]/.test(line)) return true;
  }
  return false;
}

/**
 * Whether the caller may see trusted.* names in a listing: the kernel's overlay lists them only to
 * a caller with CAP_SYS_ADMIN (ovl_can_list), as every filesystem does; the kernel's FUSE client
 * passes the daemon's list on as it is. A root task without the capability (a container's) does
 * not see them either, nor root in a user namespace of its own. A task whose credentials cannot be
 * read is shown them.
 */
export function mayListTrusted(caller: Caller): boolean {
  const creds = taskCreds(caller);
  return creds === null || (holds(creds, CAP_SYS_ADMIN) && inOurUserNs(caller.pid!));
}

/**
 * Whether task `pid` is in the daemon's user namespace (the initial one, for a daemon run as root
 * on the host): ovl_can_list asks for CAP_SYS_ADMIN there, and root in a user namespace of its
 * own holds its capabilities only in that one. Unknown (the task is gone) counts as yes.
 */
function inOurUserNs(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/ns/user`) === readlinkSync('/proc/self/ns/user');
  } catch {
    return true;
  }
}

/**
 * Whether the calling task is being killed: a fatal signal puts SIGKILL among each of its
 * threads' pending signals (complete_signal), so it shows in the thread's SigPnd. A task gone or
 * unreadable counts as not.
 */
export function fatalSignalPending(pid: number): boolean {
  const pending = /^SigPnd:\s*([0-9a-f]+)$/m.exec(procStatus(pid) ?? '')?.[1];
  return pending !== undefined && (BigInt(`0x${pending}`) & (1n << 8n)) !== 0n;
}

/** The process (thread group) of thread `tid`, from /proc; −1 when it is gone or unreadable. */
export function tgidOf(tid: number): number {
  const tgid = /^Tgid:\s*(\d+)$/m.exec(procStatus(tid) ?? '')?.[1];
  return tgid === undefined ? -1 : Number(tgid);
}
