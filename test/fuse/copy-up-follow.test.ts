// ovl-fuse next to kernel overlayfs: a file opened read-only on a lower keeps reading *its* object
// after a copy-up, even when a rename exchange then moves another file to its name (the kernel
// reopens the real file by inode, never by path), and a running binary's page faults after its
// copy-up stamp no atime (the kernel serves an exec mapping from the lower: ovl-check observe-run26).
import { closeSync, copyFileSync, mkdirSync, openSync, readSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { rename2 } from '../../src/sys/index.js';
import { type Scenario, sameOnBoth } from '../helpers/twin.js';

const same = (name: string, s: Scenario) => sameOnBoth(t, name, s);

// atime older than mtime: under relatime any access through a real fd would stamp it.
const OLD_ATIME = 1000;
const MTIME = 2_000_000_000;
const stamped = (p: string) => statSync(p).atimeMs > OLD_ATIME * 1000;

await same('an fd opened on a lower file reads that file after a copy-up and a rename exchange', {
  lowers: 1,
  setup(d) {
    writeFileSync(join(d.lowers[0]!, 'a'), 'AAAA-first-file');
    writeFileSync(join(d.lowers[0]!, 'b'), 'B');
    for (const n of ['a', 'b']) utimesSync(join(d.lowers[0]!, n), OLD_ATIME, MTIME);
  },
  steps(m) {
    const fd = openSync(join(m, 'a'), 'r');
    // Copies up both, then swaps the names: the old fd's file is now upper `b`.
    rename2(join(m, 'b'), join(m, 'a'), ['exchange']);
    const buf = Buffer.alloc(64);
    const read = buf.toString('latin1', 0, readSync(fd, buf, 0, 64, 0));
    closeSync(fd);
    // A read(2) stamps the atime of the upper copy it read (ovl_update_time), not of the other file.
    return { read, stamped: { a: stamped(join(m, 'a')), b: stamped(join(m, 'b')) } };
  },
});

// The binary waits on a fifo, is copied up and exchanged with another file, its unmapped page
// cache is dropped, and then it runs more of its own code: those pages come in by page faults.
const SCRIPT = 'echo ready > "$1"; read x < "$2"; i=0; while [ $i -lt 50 ]; do i=$((i+1)); done; ' +
  'printf "%x %s\\n" 255 "$(umask)" > "$3"; set -o > /dev/null; ulimit -a > /dev/null; alias q=true; echo ok >> "$3"';

await same('page faults of a binary running from a lower stamp no atime after its copy-up', {
  lowers: 1,
  setup(d) {
    const l1 = d.lowers[0]!;
    copyFileSync('/bin/busybox', join(l1, 'busybox'));
    execFileSync('chmod', ['755', join(l1, 'busybox')]);
    writeFileSync(join(l1, 'other'), '');
    for (const n of ['busybox', 'other']) utimesSync(join(l1, n), OLD_ATIME, MTIME);
  },
  steps(m, d) {
    const io = join(d.root, 'io');
    mkdirSync(io);
    const [ready, go, out] = ['ready', 'go', 'out'].map((n) => join(io, n)) as [string, string, string];
    execFileSync('mkfifo', [ready, go]);
    const pid = execFileSync('sh', ['-c',
      `"$0" sh -c '${SCRIPT}' bb "$1" "$2" "$3" </dev/null >/dev/null 2>&1 & echo $!; cat "$1" >/dev/null`,
      join(m, 'busybox'), ready, go, out], { encoding: 'utf8', timeout: 20_000 }).trim();
    rename2(join(m, 'other'), join(m, 'busybox'), ['exchange']);
    execFileSync('python3', ['-c',
      'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)',
      join(m, 'other')]);
    // Wait for it to finish (or die: a page served from the wrong file is SIGBUS), at most 20 s.
    execFileSync('sh', ['-c',
      'echo go > "$1"; n=0; while kill -0 "$0" 2>/dev/null && [ $n -lt 400 ]; do sleep 0.05; n=$((n+1)); done; kill -9 "$0" 2>/dev/null; true',
      pid, go]);
    let ran: string;
    try {
      ran = execFileSync('cat', [out], { encoding: 'utf8' });
    } catch {
      ran = 'no output';
    }
    return { ran, stamped: { busybox: stamped(join(m, 'busybox')), other: stamped(join(m, 'other')) } };
  },
});
