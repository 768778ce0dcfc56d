import t from 'tap';
import { bitsToProtattr, protBits, protattrToBits } from './protattr-bits.js';

t.test('protattr values and flag bits convert both ways, in both spellings', async (t) => {
  // uapi/linux/fs.h: FS_IMMUTABLE_FL 0x10, FS_APPEND_FL 0x20; FS_XFLAG_IMMUTABLE 0x8, FS_XFLAG_APPEND 0x10.
  t.same(protBits('flags'), { append: 0x20, immutable: 0x10 });
  t.same(protBits('fsxattr'), { append: 0x10, immutable: 0x8 });
  t.equal(protattrToBits(null), 0);
  t.equal(protattrToBits(Buffer.from('a')), 0x20);
  t.equal(protattrToBits(Buffer.from('ai')), 0x30);
  t.equal(protattrToBits(Buffer.from('ia'), 'fsxattr'), 0x18);
  t.equal(protattrToBits(Buffer.from('ax')), 0, 'a value the kernel would not accept gives none');
  t.equal(bitsToProtattr(0x30 | 0x80)?.toString(), 'ai', "'a' before 'i', other flags ignored");
  t.equal(bitsToProtattr(0x8, 'fsxattr')?.toString(), 'i');
  t.equal(bitsToProtattr(0x80), null, 'neither: null (the xattr is removed)');
});
