import t from 'tap';
import { encodeOrigin, originHandle } from './inode.js';

// Bytes the kernel wrote on this machine for a copy-up of ext4 inode 2146770 (generation 0x9c9bf400).
const KERNEL_ORIGIN = Buffer.from('00fb1d000100000000000000000000000000000000d2c1200000f49b9c', 'hex');

t.test('origin values: ours are byte-identical to the kernel’s, and decode to the handle', async (t) => {
  const fh = { type: 1, bytes: Buffer.from('d2c1200000f49b9c', 'hex') };
  t.same(encodeOrigin(fh), KERNEL_ORIGIN);
  t.same(originHandle(KERNEL_ORIGIN), fh, 'decodes back to the handle');
  t.equal(originHandle(Buffer.alloc(0)), null, 'empty: copied up, origin unknown');
  t.equal(originHandle(Buffer.from('01fb05', 'hex')), null, 'malformed');
});
