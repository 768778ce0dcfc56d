// Serve the passthrough LowLevelFs on a real mount until SIGTERM/SIGINT or an external umount:
// the "transport alone" target for measuring per-request cost beside fuse-overlayfs.
//   node --import=<tap's TS loader> test/helpers/passthrough-serve.ts SRC MNT [entryMs attrMs]
// Prints "ok" once mounted.
import { mountDev } from '../../src/fuse/session/daemon.js';
import { umountSurely } from '../../src/sys/mount.js';

const [src, mnt, entryMs = '0', attrMs = '0'] = process.argv.slice(2);
if (!src || !mnt) {
  process.stderr.write('usage: passthrough-serve SRC MNT [entryMs attrMs]\n');
  process.exit(2);
}
const helper = new URL('./passthrough-fs.ts', import.meta.url).href;
const m = mountDev(mnt, { readonly: false, fs: { module: helper, export: 'createPassthroughFs', args: [src, { entryMs: Number(entryMs), attrMs: Number(attrMs) }] } });
const stop = () => void umountSurely(mnt).catch(() => undefined);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
await m.ready;
process.stdout.write('ok\n');
await m.closed;
