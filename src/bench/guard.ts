// The run's one hang guard (see src/sys/hang-guard.ts): FUSE stacks are watched while mounted,
// every measurement and timed step counts as progress, and a failure that follows a forced
// unmount says so.
import { HangGuard } from '../sys/index.js';

let guard: HangGuard | null = null;

export function startGuard(limitMs: number): void {
  guard = new HangGuard(limitMs);
}

export async function stopGuard(): Promise<void> {
  await guard?.close();
  guard = null;
}

export function watch(merged: string): void {
  guard?.watch(merged);
}

export function unwatch(merged: string): void {
  guard?.unwatch(merged);
}

export function kick(): void {
  guard?.kick();
}

/** How many forced unmounts so far (compare before/after a step). */
export function firedCount(): number {
  return guard?.fired.length ?? 0;
}

export function guardLimitMs(): number {
  return guard?.limitMs ?? 0;
}
