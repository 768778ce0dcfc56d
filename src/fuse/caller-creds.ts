// What the calling task may do beyond its fsuid and fsgid: its supplementary groups and effective
// capabilities. A FUSE request carries only uid, gid and pid, so these come from /proc/<pid>/status,
// read only on the rare paths that need them (set-group-ID kept or cleared, trusted.* listed).
import { readFileSync, readlinkSync } from 'node:fs';
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

/**
 * The VFS's in_group_or_capable for the caller: in the file's group (fsgid or a supplementary
 * group) or holding CAP_FSETID. The request carries only the fsgid; the rest is the calling
 * task's, read from /proc only on this rare path (a set-group-ID file without group-execute
 * whose group is not the caller's). A task gone by then counts as in the group: the bit stays,
 * as before kernel 6.2.
 */
export function inGroupOrCapable(caller: Caller, gid: number): boolean {
  if (caller.gid === gid) return true;
  const creds = taskCreds(caller);
  return creds === null || creds.groups.includes(String(gid)) || holds(creds, CAP_FSETID);
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
