import t from 'tap';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OvlError, errnoNumber } from '../errors.js';
import { check, checkUnless, throwErrno, throwFsError } from './call.js';
import { c } from './libc.js';

const dir = mkdtempSync(join(tmpdir(), 'ovl-call-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const missing = join(dir, 'missing');
const file = join(dir, 'file');
writeFileSync(file, '');

t.test('check returns a success and turns a failure into an OvlError with errno, op and path', async (t) => {
  t.equal(check(c.lsetxattr(file, 'user.v', Buffer.from('v'), 1, 0) as number, 'setxattr user.v', file), 0);
  t.equal(check(c.lgetxattr(file, 'user.v', null, 0) as number, 'getxattr user.v', file), 1);
  const err = t.throws(() => check(c.lgetxattr(missing, 'user.x', null, 0) as number, 'getxattr user.x', missing));
  t.ok(err instanceof OvlError);
  t.match(err, { code: 'ENOENT', errno: 2, path: missing, message: `${missing}: getxattr user.x failed: ENOENT` });
});

t.test('checkUnless gives an expected errno back negated and throws any other', async (t) => {
  const ENODATA = errnoNumber('ENODATA');
  t.equal(checkUnless(c.lgetxattr(file, 'user.none', null, 0) as number, [ENODATA], 'getxattr', file), -ENODATA);
  t.throws(() => checkUnless(c.lgetxattr(missing, 'user.none', null, 0) as number, [ENODATA], 'getxattr', missing), {
    code: 'ENOENT',
    path: missing,
  });
  t.equal(checkUnless(3, [ENODATA], 'never'), 3);
});

t.test('throwErrno reports a given errno and reason', async (t) => {
  t.throws(() => throwErrno('mount overlay', '/m', { errno: errnoNumber('EINVAL'), why: 'no lowerdir' }), {
    code: 'EINVAL',
    errno: errnoNumber('EINVAL'),
    message: '/m: mount overlay: no lowerdir (EINVAL)',
  });
  t.throws(() => throwErrno('poll', undefined, { errno: errnoNumber('EBADF') }), { code: 'EBADF', path: undefined, message: 'poll failed: EBADF' });
});

t.test('throwFsError reports a failed node:fs call with the errno node read, the op and the path', async (t) => {
  let nodeErr: unknown;
  try {
    openSync(missing, 'r');
  } catch (err) {
    nodeErr = err;
  }
  const err = t.throws(() => throwFsError(nodeErr, 'open', missing, 'cannot open the device'));
  t.ok(err instanceof OvlError);
  t.match(err, { code: 'ENOENT', errno: 2, path: missing, message: `${missing}: open: cannot open the device (ENOENT)` });
  t.equal((err as Error).cause, nodeErr);
});
