// The worker process: runs scenario operations against a mount on the runner's behalf, so a
// target that hangs a syscall blocks this process only (the runner kills it and unmounts).
// Protocol: one request message in, one reply out, matched by id.
import { closeAll, execOp, type ExecContext } from './exec-op.js';
import type { Op } from './ops.js';
import { walkTree } from './raw.js';

export type WorkerRequest =
  | { id: number; kind: 'init'; merged: string; lowers: string[]; upper: string; scratch: string }
  | { id: number; kind: 'op'; op: Op }
  | { id: number; kind: 'closeAll' }
  | { id: number; kind: 'walk'; root: string; order?: boolean };

export interface WorkerReply {
  id: number;
  result?: unknown;
  error?: string;
}

const ctx: ExecContext = { merged: '', lowers: [], upper: '', scratch: '', fds: new Map(), dirs: new Map(), procs: new Map(), maps: new Map() };

function handle(req: WorkerRequest): unknown {
  switch (req.kind) {
    case 'init':
      closeAll(ctx);
      Object.assign(ctx, { merged: req.merged, lowers: req.lowers, upper: req.upper, scratch: req.scratch });
      return null;
    case 'op':
      return execOp(ctx, req.op);
    case 'closeAll':
      return closeAll(ctx);
    case 'walk':
      return walkTree(req.root, { order: req.order ?? false });
  }
}

// Modes of created files must not depend on the caller's umask.
process.umask(0o022);
process.on('message', async (req: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = { id: req.id, result: (await handle(req)) ?? null };
  } catch (e) {
    reply = { id: req.id, error: e instanceof Error ? e.message : String(e) };
  }
  process.send!(reply);
});
process.on('disconnect', () => process.exit(0));
// Loaded: from now on the runner's deadlines are about the target, not about starting node.
process.send!({ id: 0 });
