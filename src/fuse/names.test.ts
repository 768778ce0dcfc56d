import t from 'tap';
import { decodeFuseDev } from './names.js';

t.test('FUSE rdev (new_encode_dev) decodes to major/minor', async (t) => {
  t.same(decodeFuseDev(0x103), [1, 3]);
  t.same(decodeFuseDev(0), [0, 0]);
  // major 8, minor 300: minor's high bits live above bit 20
  t.same(decodeFuseDev((300 & 0xff) | (8 << 8) | ((300 & ~0xff) << 12)), [8, 300]);
});
