import t from 'tap';
import { chainFrom, dir, entry, file, scan, shortDiff } from '../../test/helpers/entries.js';
import { legacyDiff, sameEntry } from './diff-legacy.js';
import type { Entry } from './types.js';

const base = scan([
  dir('etc/'), file('etc/passwd', 50), file('etc/group', 20),
  dir('usr/'), dir('usr/share/'), file('usr/share/README', 7), dir('usr/share/tz/'), file('usr/share/tz/a', 5), file('usr/share/tz/b', 5),
  dir('data/'), file('data/keep', 4), entry('data/link', { type: 'symlink', target: 'keep', size: 4 }),
  dir('opt/'), file('opt/x', 1),
]);

function child(edit: (m: Map<string, Entry>) => void) {
  const m = new Map(chainFrom(base).map((e) => [e.path, e]));
  edit(m);
  return scan([...m.values()]);
}

t.test('a base layer is its whole tree', async (t) => {
  t.equal(legacyDiff(null, base).length, base.entries.length);
});

t.test('an unchanged chain link has an empty diff', async (t) => {
  t.same(legacyDiff(base, child(() => undefined)), []);
});

t.test('a regular file with a new inode is modified; its dirs come along', async (t) => {
  const c = child((m) => m.set('etc/passwd', file('etc/passwd', 50)));
  t.same(shortDiff(legacyDiff(base, c)), ['etc', 'etc/passwd']);
  t.same(legacyDiff(base, c).map((i) => i.reason), ['parent', 'modified']);
});

t.test('deleting a file or a whole dir gives one whiteout at the top-most missing path', async (t) => {
  const c = child((m) => {
    m.delete('etc/group');
    for (const p of [...m.keys()]) if (p.startsWith('usr/share/tz')) m.delete(p);
  });
  t.same(shortDiff(legacyDiff(base, c)), ['etc', '-etc/group', 'usr', 'usr/share', '-usr/share/tz']);
});

t.test('a dir emptied of everything is cheaper as an opaque dir than as dir + whiteouts', async (t) => {
  const c = child((m) => {
    for (const p of [...m.keys()]) if (p.startsWith('usr/share')) m.delete(p);
  });
  t.same(shortDiff(legacyDiff(base, c)), ['usr/*']);
});

t.test('rm -rf D && mkdir D with new content: D is opaque, no per-file whiteouts', async (t) => {
  const c = child((m) => {
    m.delete('usr/share/tz/a');
    m.delete('usr/share/tz/b');
    m.set('usr/share/tz', dir('usr/share/tz', { mtimeNs: 2n }));
    m.set('usr/share/tz/new', file('usr/share/tz/new', 3));
  });
  t.same(shortDiff(legacyDiff(base, c)), ['usr', 'usr/share', 'usr/share/tz/*', 'usr/share/tz/new']);
});

t.test('a dir that lost one entry but keeps others stays transparent with a whiteout', async (t) => {
  const c = child((m) => m.delete('usr/share/tz/a'));
  t.same(shortDiff(legacyDiff(base, c)), ['usr', 'usr/share', 'usr/share/tz', '-usr/share/tz/a']);
});

t.test('type changes replace the whole lower path', async (t) => {
  const c = child((m) => {
    m.delete('opt/x');
    m.set('opt', file('opt', 9));
    m.set('data/keep', dir('data/keep'));
    m.set('data/keep/inner', file('data/keep/inner', 1));
  });
  t.same(shortDiff(legacyDiff(base, c)), ['data', 'data/keep', 'data/keep/inner', 'opt']);
  t.equal(legacyDiff(base, c).find((i) => i.path === 'opt')!.reason, 'modified');
});

t.test('metadata-only changes of non-regular entries are changes', async (t) => {
  const c = child((m) => {
    m.set('data/link', { ...m.get('data/link')!, target: 'other', size: 5 });
    m.set('etc', { ...m.get('etc')!, mtimeNs: 5n });
    m.set('opt', { ...m.get('opt')!, xattrs: [['user.a', Buffer.from('1')]] });
  });
  const d = legacyDiff(base, c);
  t.same(shortDiff(d), ['data', 'data/link', 'etc', 'opt']);
  t.same(d.map((i) => i.reason), ['parent', 'metadata', 'metadata', 'metadata']);
});

t.test('sameEntry compares what a mount shows', async (t) => {
  const a = entry('x', { type: 'fifo' });
  t.ok(sameEntry(a, { ...a, inode: 'other', nlink: 3, atimeNs: 9n }), 'inode, links and atime do not matter');
  for (const over of [{ perm: 0o600 }, { uid: 1 }, { gid: 1 }, { mtimeNs: 7n }, { rdev: 1 }, { size: 1 }]) {
    t.notOk(sameEntry(a, { ...a, ...over }), JSON.stringify(over, (_, v) => (typeof v === 'bigint' ? String(v) : v)));
  }
  t.notOk(sameEntry(a, { ...a, xattrs: [['user.x', Buffer.from('')]] }));
  t.notOk(sameEntry(a, { ...a, type: 'char' }));
  const d = dir('d');
  t.ok(sameEntry(d, { ...d, size: 12288 }), 'a directory that grew is not a change by itself');
});
