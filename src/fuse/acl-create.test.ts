import t from 'tap';
import { inheritAcl } from './acl-create.js';

// Tags (include/uapi/linux/posix_acl.h) and an xattr value built from [tag, perm, id] triples.
const [UO, U, GO, M, O] = [0x01, 0x02, 0x04, 0x10, 0x20];
function acl(...entries: Array<[number, number, number?]>): Buffer {
  const b = Buffer.alloc(4 + entries.length * 8);
  b.writeUInt32LE(2, 0);
  entries.forEach(([tag, perm, id = 0xffffffff], i) => {
    b.writeUInt16LE(tag, 4 + i * 8);
    b.writeUInt16LE(perm, 6 + i * 8);
    b.writeUInt32LE(id, 8 + i * 8);
  });
  return b;
}

// What ext4 and tmpfs gave on 6.18 (test/fuse/acl.test.ts compares the whole path with the kernel).
const withNobody = acl([UO, 7], [U, 7, 65534], [GO, 5], [M, 7], [O, 5]);

t.test('a file: the mode narrows the ACL, the mask narrows the mode, no umask', async (t) => {
  const r = inheritAcl(withNobody, 0o100666)!;
  t.equal(r.mode, 0o100664);
  t.same(r.access, acl([UO, 6], [U, 7, 65534], [GO, 5], [M, 6], [O, 4]));
  t.equal(r.default, null, 'files get no default ACL');
});

t.test('a dir: its access ACL masked, the default ACL passed on as it is', async (t) => {
  const r = inheritAcl(withNobody, 0o040777)!;
  t.equal(r.mode, 0o040775);
  t.same(r.access, acl([UO, 7], [U, 7, 65534], [GO, 5], [M, 7], [O, 5]));
  t.equal(r.default, withNobody);
});

t.test('a default ACL of the three base entries gives a mode and no access ACL', async (t) => {
  const r = inheritAcl(acl([UO, 7], [GO, 5], [O, 0]), 0o100666)!;
  t.equal(r.mode, 0o100640);
  t.equal(r.access, null);
});

t.test('set-id and sticky bits are kept; the group class is the mask when there is one', async (t) => {
  t.equal(inheritAcl(withNobody, 0o102750)!.mode, 0o102750);
  t.equal(inheritAcl(acl([UO, 7], [GO, 0], [M, 7], [O, 0]), 0o100770)!.mode, 0o100770, 'mask rwx lets group bits through');
});

t.test('values the kernel would not store are no ACL', async (t) => {
  t.equal(inheritAcl(Buffer.from([1, 0, 0, 0]), 0o100666), null, 'version 1');
  t.equal(inheritAcl(acl([UO, 7], [O, 0]).subarray(0, 10), 0o100666), null, 'truncated');
  t.equal(inheritAcl(acl([UO, 7], [O, 0]), 0o100666), null, 'no group class');
  t.equal(inheritAcl(acl([UO, 7], [0x40, 7], [GO, 5], [O, 0]), 0o100666), null, 'unknown tag');
});
