import t from 'tap';
import { aclFromText, aclToText, decodeAcl, encodeAcl } from './posix-acl.js';

t.test('short text round-trips through the xattr value, entries in the order the kernel keeps', async (t) => {
  const v = aclFromText('o::---,m::rw-,g::r--,u:1000:r--,u::rw-,g:0:rwx');
  t.equal(aclToText(v), 'u::rw-,u:1000:r--,g::r--,g:0:rwx,m::rw-,o::---');
  t.same(decodeAcl(encodeAcl(decodeAcl(v)!)), decodeAcl(v));
  // The bytes setfacl writes for u::rw-,u:1000:r--,g::r--,m::r--,o::--- (getfattr -e hex, 6.18).
  t.equal(
    aclFromText('u::rw-,u:1000:r--,g::r--,m::r--,o::---').toString('hex'),
    '02000000' + '01000600ffffffff' + '02000400e8030000' + '04000400ffffffff' + '10000400ffffffff' + '20000000ffffffff',
  );
  t.equal(aclToText(aclFromText('u::rwx,g::x,o::r')), 'u::rwx,g::--x,o::r--', 'letters in any order, dashes optional');
});

t.test('what is not an ACL is refused or read as none', async (t) => {
  t.throws(() => aclFromText('x::rw-'), /not an ACL entry/);
  t.throws(() => aclFromText('m:5:rw-'), /only user and group entries name an id/);
  t.equal(aclToText(Buffer.from('plain')), null);
  t.equal(aclToText(Buffer.from('0300000001000600ffffffff', 'hex')), null, 'version 3');
  t.equal(aclToText(Buffer.from('0200000040000600ffffffff', 'hex')), null, 'unknown tag');
});
