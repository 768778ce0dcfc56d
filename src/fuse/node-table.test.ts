// The node table's bookkeeping against a plain model of what the kernel holds: random sequences
// of lookup/forget/unlink/rename/exchange never leave an id the kernel holds dangling (or with
// another generation or count), paths follow renames of any ancestor, a file's several names
// (upper hard links sharing one node) each find it, and once every count is given back the table
// is just the root again.
import t from 'tap';
import fc from 'fast-check';
import { NodeTable, ROOT_ID, type NodeRec } from './node-table.js';

type Op =
  | { op: 'lookup'; parent: number; name: string }
  | { op: 'forget'; node: number; n: number }
  | { op: 'unlink'; parent: number; name: string }
  | { op: 'rename'; from: number; fromName: string; to: number; toName: string }
  | { op: 'exchange'; a: number; aName: string; b: number; bName: string }
  | { op: 'link'; node: number; parent: number; name: string };

interface ModelName {
  parent: number;
  name: string;
}

interface ModelNode {
  id: number;
  gen: number;
  /** Its names, the one its path follows first (a dir has at most one). */
  names: ModelName[];
  count: number;
  /** Took a second name once: a file, never a parent. */
  file: boolean;
}

const names = fc.constantFrom('a', 'b', 'c');
const pick = fc.nat(50);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('lookup' as const), parent: pick, name: names }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('forget' as const), node: pick, n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unlink' as const), parent: pick, name: names }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('rename' as const), from: pick, fromName: names, to: pick, toName: names }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('exchange' as const), a: pick, aName: names, b: pick, bName: names }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('link' as const), node: pick, parent: pick, name: names }) },
);

class Model {
  readonly nodes = new Map<number, ModelNode>([[ROOT_ID, { id: ROOT_ID, gen: 0, names: [], count: 1, file: false }]]);
  readonly lastGen = new Map<number, number>();

  /** Attached nodes (reachable from the root), the root first: the only possible parents. */
  attached(): ModelNode[] {
    return [...this.nodes.values()].filter((n) => !n.file && this.path(n) !== null);
  }
  held(): ModelNode[] {
    return [...this.nodes.values()].filter((n) => n.id !== ROOT_ID && n.count > 0);
  }
  childOf(parent: number, name: string): ModelNode | undefined {
    return [...this.nodes.values()].find((n) => n.names.some((r) => r.parent === parent && r.name === name));
  }
  /** The path of its first name (null if that is in a detached dir), or of `ref`. */
  path(n: ModelNode, ref = n.names[0]): string | null {
    if (n.id === ROOT_ID) return '/';
    if (!ref) return null;
    const p = this.path(this.nodes.get(ref.parent)!);
    return p === null ? null : p === '/' ? '/' + ref.name : p + '/' + ref.name;
  }
  isUnder(id: number, ancestor: number): boolean {
    for (let cur: number | null = id; cur !== null; cur = this.nodes.get(cur)?.names[0]?.parent ?? null) if (cur === ancestor) return true;
    return false;
  }
  unname(n: ModelNode, parent: number, name: string): void {
    n.names = n.names.filter((r) => r.parent !== parent || r.name !== name);
  }
  /** A model node is only kept while the kernel holds it or something below it (as the table does). */
  prune(): void {
    for (let changed = true; changed; ) {
      changed = false;
      for (const n of this.nodes.values()) {
        if (n.id === ROOT_ID || n.count > 0) continue;
        if ([...this.nodes.values()].some((c) => c.names.some((r) => r.parent === n.id))) continue;
        this.nodes.delete(n.id);
        changed = true;
      }
    }
  }
}

function apply(table: NodeTable, model: Model, op: Op): void {
  const att = model.attached();
  const rec = (m: ModelNode): NodeRec => table.get(m.id)!;
  switch (op.op) {
    case 'lookup': {
      const parent = att[op.parent % att.length]!;
      const got = table.lookup(rec(parent), op.name);
      const known = model.childOf(parent.id, op.name);
      if (known) {
        if (got.id !== known.id) throw new Error(`lookup gave ${got.id}, model has ${known.id}`);
        known.count++;
      } else {
        if (model.nodes.has(got.id)) throw new Error(`lookup reused live id ${got.id}`);
        const last = model.lastGen.get(got.id);
        if (last !== undefined && got.generation <= last) throw new Error(`id ${got.id} reused without a new generation`);
        model.lastGen.set(got.id, got.generation);
        model.nodes.set(got.id, { id: got.id, gen: got.generation, names: [{ parent: parent.id, name: op.name }], count: 1, file: false });
      }
      return;
    }
    case 'forget': {
      const held = model.held();
      if (held.length === 0) return;
      const n = held[op.node % held.length]!;
      const k = Math.min(op.n, n.count);
      table.forget(n.id, k);
      n.count -= k;
      break;
    }
    case 'unlink': {
      const parent = att[op.parent % att.length]!;
      table.detach(rec(parent), op.name);
      const child = model.childOf(parent.id, op.name);
      if (child) model.unname(child, parent.id, op.name);
      break;
    }
    case 'rename': {
      const from = att[op.from % att.length]!;
      const to = att[op.to % att.length]!;
      const src = model.childOf(from.id, op.fromName);
      // rename(2) refuses to move a dir below itself (EINVAL) and onto one of its own ancestors
      // (ENOTEMPTY: the VFS's lock_rename trap), so the kernel never asks the table to.
      if (src && model.isUnder(to.id, src.id)) return;
      const over = model.childOf(to.id, op.toName);
      if (src && over && over !== src && model.isUnder(src.id, over.id)) return;
      // A file never replaces a dir, nor a dir a file (EISDIR, ENOTDIR).
      if (src && over && src.file !== over.file) return;
      table.move(rec(from), op.fromName, rec(to), op.toName);
      if (src && from.id === to.id && op.fromName === op.toName) return;
      // Two names of one file: nothing changes.
      if (src && src === over) return;
      if (over) model.unname(over, to.id, op.toName);
      const ref = src?.names.find((r) => r.parent === from.id && r.name === op.fromName);
      if (ref) Object.assign(ref, { parent: to.id, name: op.toName });
      break;
    }
    case 'exchange': {
      const a = att[op.a % att.length]!;
      const b = att[op.b % att.length]!;
      const ra = model.childOf(a.id, op.aName);
      const rb = model.childOf(b.id, op.bName);
      if (ra === rb) return;
      if ((ra && model.isUnder(b.id, ra.id)) || (rb && model.isUnder(a.id, rb.id))) return;
      table.exchange(rec(a), op.aName, rec(b), op.bName);
      const refA = ra?.names.find((r) => r.parent === a.id && r.name === op.aName);
      const refB = rb?.names.find((r) => r.parent === b.id && r.name === op.bName);
      if (refA) Object.assign(refA, { parent: b.id, name: op.bName });
      if (refB) Object.assign(refB, { parent: a.id, name: op.aName });
      break;
    }
    case 'link': {
      // A held node with nothing below it takes one more name (LlCore's attach and lookup).
      const files = model.held().filter((n) => ![...model.nodes.values()].some((c) => c.names.some((r) => r.parent === n.id)));
      if (files.length === 0) return;
      const n = files[op.node % files.length]!;
      const dirs = model.attached().filter((p) => p.id !== n.id);
      const parent = dirs[op.parent % dirs.length]!;
      const over = model.childOf(parent.id, op.name);
      if (over && over !== n && !over.file) return;
      table.attach(rec(n), rec(parent), op.name);
      const got = table.lookup(rec(parent), op.name);
      if (got.id !== n.id) throw new Error(`link: lookup gave ${got.id}, expected ${n.id}`);
      if (over && over !== n) model.unname(over, parent.id, op.name);
      if (over !== n) n.names.push({ parent: parent.id, name: op.name });
      n.file = true;
      n.count++;
      break;
    }
  }
  model.prune();
}

function check(table: NodeTable, model: Model): void {
  for (const n of model.nodes.values()) {
    const r = table.get(n.id);
    if (!r) throw new Error(`node ${n.id} is held (count ${n.count}) but gone from the table`);
    if (r.generation !== n.gen) throw new Error(`node ${n.id}: generation ${r.generation}, expected ${n.gen}`);
    if (n.id !== ROOT_ID && r.lookups !== n.count) throw new Error(`node ${n.id}: count ${r.lookups}, expected ${n.count}`);
    const p = table.path(r);
    if (p !== model.path(n)) throw new Error(`node ${n.id}: path ${p}, expected ${model.path(n)}`);
    for (const ref of n.names) {
      const q = model.path(n, ref);
      if (q !== null && table.find(q) !== r) throw new Error(`find(${q}) is not node ${n.id}`);
    }
    const got = [...table.names(r)].map((x) => `${x.parent.id}/${x.name}`).join(' ');
    const want = n.names.map((x) => `${x.parent}/${x.name}`).join(' ');
    if (got !== want) throw new Error(`node ${n.id}: names ${got}, expected ${want}`);
  }
  if (table.size !== model.nodes.size) throw new Error(`table has ${table.size} nodes, model ${model.nodes.size}`);
}

t.test('random lookup/forget/unlink/rename/exchange/link sequences agree with the model', async (t) => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
      const table = new NodeTable();
      const model = new Model();
      for (const op of ops) {
        apply(table, model, op);
        check(table, model);
      }
      // The kernel gives every count back (drop_caches, unmount): only the root remains.
      for (const n of model.held()) table.forget(n.id, n.count);
      if (table.size !== 1) throw new Error(`${table.size} nodes left after every count was returned`);
      if (table.get(ROOT_ID) !== table.root) throw new Error('the root was forgotten');
    }),
    { numRuns: 400 },
  );
  t.pass('model agreed');
});

t.test('an exchange that empties a forgotten dir drops it (a shrunk counterexample)', async (t) => {
  const table = new NodeTable();
  const dir = table.lookup(table.root, 'b');
  const child = table.lookup(dir, 'c');
  table.forget(dir.id, 1);
  t.ok(table.get(dir.id), 'a forgotten dir stays while a held child is below it');
  table.exchange(table.root, 'a', dir, 'c');
  t.equal(table.get(dir.id), undefined, 'once its child moved out, nothing holds it');
  t.equal(table.child(table.root, 'a'), child);
  t.equal(table.size, 2);
});

t.test('a subtree rename moves every descendant path without renumbering', async (t) => {
  const table = new NodeTable();
  const a = table.lookup(table.root, 'a');
  const b = table.lookup(a, 'b');
  const c = table.lookup(b, 'c');
  t.equal(table.path(c), '/a/b/c');
  table.move(table.root, 'a', table.root, 'z');
  t.equal(table.path(c), '/z/b/c');
  t.equal(table.get(c.id), c, 'same id');
  table.detach(b, 'c');
  t.equal(table.path(c), null, 'unlinked node has no path');
  t.equal(table.get(c.id), c, 'but stays until forgotten');
  table.forget(c.id, 1);
  t.equal(table.get(c.id), undefined);
  const d = table.lookup(b, 'd');
  t.equal(d.id, c.id, 'freed id is reused');
  t.equal(d.generation, c.generation + 1, 'with the next generation');
  t.equal(table.forget(ROOT_ID, 5), undefined);
  t.equal(table.get(ROOT_ID), table.root, 'the root is never forgotten');
});
