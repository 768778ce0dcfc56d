// One request served and answered: dispatch, then the reply (or its errno) written to /dev/fuse.
// The loop has one for the request it reads; Meanwhile another, with buffers of its own, for the
// requests it answers while the loop's is still being served.
import { errnoOf } from '../../errors.js';
import { writeDev } from '../../sys/devfuse.js';
import { type InHeader, OUT_HEADER_SIZE, Op, encodeOutHeader } from '../protocol/index.js';
import { Dispatcher, FAILED, NO_REPLY } from './dispatch.js';
import type { LowLevelFs } from './filesystem.js';

export type Log = (what: string, err: unknown) => void;

function code(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

export class Responder {
  readonly dispatcher: Dispatcher;

  constructor(
    private devFd: number,
    private fs: LowLevelFs,
    readonly out: Buffer,
    private log: Log,
  ) {
    this.dispatcher = new Dispatcher(fs, out, (name, err) => {
      if (code(err) !== 'ENOENT') log(`readdirplus lookup of ${name}`, err);
    });
  }

  /** Write the reply to request `h`: `len` bytes of `out` (0 for an error-only reply). */
  reply(h: InHeader, len: number, error: number): void {
    const out = this.out;
    const sent = this.dispatcher.sentNodes;
    encodeOutHeader(out, len, error, h.unique);
    // Negative: ENOENT (the request was interrupted and is gone) or ENODEV (unmounted meanwhile).
    // The kernel never saw the node ids this reply carried: give their lookups back.
    if (writeDev(this.devFd, out, len) < 0 && error === 0) for (const id of sent) this.fs.forget(id, 1);
    if (sent.length !== 0) sent.length = 0;
  }

  /** Serve request `h` (its bytes in `b`) and answer it, unless the kernel expects no answer. */
  serve(h: InHeader, b: Buffer): void {
    const dispatcher = this.dispatcher;
    const len = dispatcher.handle(h, b);
    if (len === FAILED) {
      const err = dispatcher.failure;
      dispatcher.failure = null;
      if (!(err && typeof err === 'object' && ('errno' in err || 'code' in err))) this.log(`opcode ${h.opcode}`, err);
      if (h.opcode === Op.FORGET || h.opcode === Op.BATCH_FORGET) return;
      this.reply(h, OUT_HEADER_SIZE, -errnoOf(err));
      return;
    }
    if (len !== NO_REPLY) this.reply(h, len, 0);
  }
}
