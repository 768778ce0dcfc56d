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
}

/** Messages from the worker. */
export type WorkerMessage =
  | { type: 'ready'; flags: bigint; minor: number }
  | { type: 'notify'; message: Uint8Array };
