import { fstatSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { mapShared, type SharedMapping } from '../sys/index.js';
import { closeAll, execOp, type ExecContext } from './exec-op.js';

function context(t: { teardown(fn: () => void): void }): { ctx: ExecContext; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-exec-op-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ctx: ExecContext = { merged: dir, lowers: [], upper: dir, scratch: dir, fds: new Map(), dirs: new Map(), procs: new Map(), maps: new Map() };
  return { ctx, dir };
}

/** A real mapping whose calls are logged (and whose msync can be made to fail). */
function logged(map: SharedMapping, log: string[], failSync = false): SharedMapping {
  return {
    length: map.length,
    writable: map.writable,
    mem: () => map.mem(),
    sync: () => {
      log.push('sync');
      if (failSync) throw Object.assign(new Error('msync failed: EIO'), { code: 'EIO' });
      map.sync();
    },
    unmap: () => {
      log.push('unmap');
      map.unmap();
    },
  };
}

const isOpen = (fd: number) => {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
};

t.test('closeAll releases a held mapping as unmap does: msync of a writable one, then munmap and close', async (t) => {
  const { ctx, dir } = context(t);
  writeFileSync(join(dir, 'u'), 'upper');
  writeFileSync(join(dir, 'r'), 'read');
  for (const [n, name, rw] of [[0, 'u', true], [1, 'r', false]] as const) {
    t.same(await execOp(ctx, { op: 'mapOpen', path: name, access: rw ? 'rw' : 'r', map: n }), { ok: true });
  }
  const log: Record<number, string[]> = { 0: [], 1: [] };
  for (const [n, h] of ctx.maps) h.map = logged(h.map, log[n]!);
  t.same(await execOp(ctx, { op: 'mapWrite', map: 0, offset: 0, data: 'XY' }), { ok: true });
  const fds = [...ctx.maps.values()].map((h) => h.fd);
  closeAll(ctx);
  t.same(log, { 0: ['sync', 'unmap'], 1: ['unmap'] }, 'the writable mapping is synced before it goes; a read-only one needs none');
  t.equal(ctx.maps.size, 0);
  t.same(fds.map(isOpen), [false, false], 'their fds are closed');
});

t.test('closeAll: a failed msync still releases every mapping and handle, then is thrown', async (t) => {
  const { ctx, dir } = context(t);
  writeFileSync(join(dir, 'a'), 'aaaa');
  writeFileSync(join(dir, 'b'), 'bbbb');
  const logs: string[][] = [[], []];
  ['a', 'b'].forEach((name, n) => {
    const fd = openSync(join(dir, name), 'r+');
    ctx.maps.set(n, { fd, map: logged(mapShared(fd, 4096, true, name), logs[n]!, n === 0) });
  });
  const plain = openSync(join(dir, 'a'), 'r');
  ctx.fds.set(0, plain);
  const fds = [...ctx.maps.values()].map((h) => h.fd);
  t.throws(() => closeAll(ctx), { code: 'EIO' });
  t.same(logs, [['sync', 'unmap'], ['sync', 'unmap']]);
  t.same([...fds, plain].map(isOpen), [false, false, false]);
  t.equal(ctx.maps.size + ctx.fds.size, 0);
});
