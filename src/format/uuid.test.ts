import t from 'tap';
import { OVL_UUID_SIZE, uuidBytes, writesUpperUuid } from './uuid.js';

const some = Buffer.alloc(OVL_UUID_SIZE, 1);

t.test('uuid=auto writes only on a new overlay with no uuid yet', async (t) => {
  t.equal(writesUpperUuid('auto', null, false), true);
  t.equal(writesUpperUuid('auto', null, true), false, 'impure upper root: an old overlay, uuid=null');
  t.equal(writesUpperUuid('auto', some, false), false, 'a stored uuid is used');
  t.equal(writesUpperUuid('auto', Buffer.from([0, 0x11]), false), false, 'a malformed one is left as it is');
});

t.test('uuid=on writes whenever none is stored; off and null never', async (t) => {
  t.equal(writesUpperUuid('on', null, true), true);
  t.equal(writesUpperUuid('on', some, false), false);
  t.equal(writesUpperUuid('off', null, false), false);
  t.equal(writesUpperUuid('null', null, false), false);
});

t.test('uuidBytes: 16 bytes from the text form', async (t) => {
  t.same(uuidBytes('fd1c4c1d-1c2e-449a-b79e-b70008e2bbaa'), Buffer.from('fd1c4c1d1c2e449ab79eb70008e2bbaa', 'hex'));
  t.throws(() => uuidBytes('nope'), RangeError);
});
