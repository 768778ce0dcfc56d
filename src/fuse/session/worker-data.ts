// What the main thread hands the session worker (structured-clone data only).
import type { InitWant } from '../protocol/index.js';

export interface WorkerData {
  devFd: number;
  /** URL of the module whose export `fsExport(...fsArgs)` builds the LowLevelFs. */
  fsModule: string;
  fsExport: string;
  fsArgs: unknown[];
  want: InitWant;
  debug: boolean;
  /** The loop's longest poll before it sleeps, µs (spin.ts); 0: none. */
  spinUs: number;
  /**
   * Int32 slot 0: GATE_WAIT until the main thread's mount(2) is done, then GATE_MOUNTED or
   * GATE_ABANDONED. Slot NOTIFY_ACK: the highest `ack` of a notification the main thread has written.
   */
  gate: SharedArrayBuffer;
}

export const GATE_WAIT = 0;
export const GATE_MOUNTED = 1;
export const GATE_ABANDONED = 2;
export const NOTIFY_ACK = 1;
export const GATE_BYTES = 8;

/** Messages from the worker. */
export type WorkerMessage =
  | { type: 'ready'; flags: bigint; minor: number }
  /** With `ack`, the loop waits until slot NOTIFY_ACK reaches it (DevSession.invalListing). */
  | { type: 'notify'; message: Uint8Array; ack?: number };
