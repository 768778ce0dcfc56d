// rmdir's and rename's emptiness check (readdir.ts checkEmptyDir) with a writer beside the mount
// right after it: the race the kernel's ovl_do_remove/ovl_rename leave to the upper's own calls.
import * as readdir from '../../src/fuse/readdir.js';

/** A './readdir.js' for t.mockImport whose checkEmptyDir runs as it is, keeps what it listed in `checked`, then calls `after`. */
export function checkThen(after: () => void, checked: string[][]): typeof readdir {
  return {
    ...readdir,
    checkEmptyDir: (...args: Parameters<typeof readdir.checkEmptyDir>) => {
      const listed = readdir.checkEmptyDir(...args);
      checked.push(listed);
      after();
      return listed;
    },
  };
}
