/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`src/dedup/render.test.ts > TAP > analyze tables > must match snapshot 1`] = `
Data root /data
  overlay at /data/overlay: 2 layers, 2 images, 0 containers; max 2 links of the filesystem's 65,000

┌─────────────────────────────┬─────────┬──────────┬─────────┬───────────┬───────────┐
│ IMAGE LAYERS                │ ENTRIES │   INODES │ REGULAR │      DISK │ MAX LINKS │
├─────────────────────────────┼─────────┼──────────┼─────────┼───────────┼───────────┤
│ now                         │       9 │       10 │ 240.1kB │   278.5kB │         2 │
│ as multi-lower (overlay2)   │       8 │       10 │ 240.1kB │   278.5kB │         1 │
│ as chained (legacy overlay) │       9 │       10 │ 240.1kB │   278.5kB │         2 │
│ saved by multi-lower        │         │ 0 (0.0%) │         │ 0B (0.0%) │           │
└─────────────────────────────┴─────────┴──────────┴─────────┴───────────┴───────────┘
now: 4 file, 6 dir, 0 symlink, 0 other inodes; 2 hard-linked names; 24.58kB in directories

┌─────────────────────────────┬─────────┬──────────┬─────────┬───────────┬───────────┐
│ CONTAINER LAYERS            │ ENTRIES │   INODES │ REGULAR │      DISK │ MAX LINKS │
├─────────────────────────────┼─────────┼──────────┼─────────┼───────────┼───────────┤
│ now                         │       0 │        0 │      0B │        0B │         0 │
│ as multi-lower (overlay2)   │       0 │        0 │      0B │        0B │         0 │
│ as chained (legacy overlay) │       0 │        0 │      0B │        0B │         0 │
│ saved by multi-lower        │         │ 0 (0.0%) │         │ 0B (0.0%) │           │
└─────────────────────────────┴─────────┴──────────┴─────────┴───────────┴───────────┘
now: 0 file, 0 dir, 0 symlink, 0 other inodes; 0 hard-linked names; 0B in directories

┌────────┬──────────────┬─────────┬────────┬─────────┬────────┬────────┬────────┬────────────┬─────────┬──────────┐
│ IMAGE  │ ID           │ DRIVER  │ LAYERS │    SIZE │ SHARED │ UNIQUE │ INODES │ ALT INODES │    DISK │ ALT DISK │
├────────┼──────────────┼─────────┼────────┼─────────┼────────┼────────┼────────┼────────────┼─────────┼──────────┤
│ app:1  │ cccccccccccc │ overlay │      2 │ 240.1kB │  120kB │  120kB │     10 │         10 │ 278.5kB │  278.5kB │
│ base:1 │ dddddddddddd │ overlay │      1 │   120kB │  120kB │     0B │      5 │          5 │ 139.3kB │  139.3kB │
└────────┴──────────────┴─────────┴────────┴─────────┴────────┴────────┴────────┴────────────┴─────────┴──────────┘

┌────────┬───┬──────────┬───────┬─────────┬────────┬─────────┬───────────┬─────────────┬────────────┬──────────┐
│ IMAGE  │ # │ CACHE ID │  SIZE │ ENTRIES │ INODES │    DISK │ MAX LINKS │ ALT ENTRIES │ ALT INODES │ ALT DISK │
├────────┼───┼──────────┼───────┼─────────┼────────┼─────────┼───────────┼─────────────┼────────────┼──────────┤
│ app:1  │ 0 │ aaaa     │ 120kB │       4 │      5 │ 139.3kB │         2 │           4 │          5 │  139.3kB │
│        │ 1 │ bbbb     │ 120kB │       5 │      6 │ 262.1kB │         2 │           4 │          5 │  139.3kB │
│ base:1 │ 0 │ aaaa     │ 120kB │       4 │      5 │ 139.3kB │         2 │           4 │          5 │  139.3kB │
└────────┴───┴──────────┴───────┴─────────┴────────┴─────────┴───────────┴─────────────┴────────────┴──────────┘
ALT = the other layout: overlay2-style diffs for legacy overlay layers, full legacy trees for overlay2 layers

Content duplicates: 1 groups, 1 redundant inodes, 120kB redundant (4 inodes hashed, 240.1kB)
┌───────┬────────┬───────────┬──────────────────┬───────────────────────────────┐
│  SIZE │ COPIES │ REDUNDANT │ XXH64            │ PATHS                         │
├───────┼────────┼───────────┼──────────────────┼───────────────────────────────┤
│ 120kB │      2 │     120kB │ 00ff00ff00ff00ff │ overlay/aaaa/root/bin/sh      │
│       │        │           │                  │ overlay/bbbb/root/bin/sh-copy │
└───────┴────────┴───────────┴──────────────────┴───────────────────────────────┘

Path waste (dive):
┌────────┬────────────┬───────────────┬───────────────────┬───────────────┐
│ IMAGE  │ EFFICIENCY │ WASTED (dive) │ RECLAIMABLE (N-1) │ METADATA-ONLY │
├────────┼────────────┼───────────────┼───────────────────┼───────────────┤
│ app:1  │     100.0% │           40B │               40B │            0B │
│ base:1 │     100.0% │            0B │                0B │            0B │
└────────┴────────────┴───────────────┴───────────────────┴───────────────┘
┌───────┬────────┬────────┬─────────────┬───────────────┐
│ IMAGE │ PATH   │ LAYERS │ RECLAIMABLE │ WHY           │
├───────┼────────┼────────┼─────────────┼───────────────┤
│ app:1 │ etc/os │ 0,1    │         40B │ deleted later │
└───────┴────────┴────────┴─────────────┴───────────────┘

Warnings (1):
  /data/overlay/l/XYZ: dangling short link to ../gone/diff

`

exports[`src/dedup/render.test.ts > TAP > CI verdicts and convert summary > must match snapshot 1`] = `
CI rules:
┌──────────────────┬───────┬────────┬────────┐
│ RULE             │ LIMIT │ ACTUAL │ RESULT │
├──────────────────┼───────┼────────┼────────┤
│ max-wasted-bytes │ 1MB   │ 2MB    │ FAIL   │
│ min-efficiency   │ 0.9   │ 0.9500 │ PASS   │
└──────────────────┴───────┴────────┴────────┘
`

exports[`src/dedup/render.test.ts > TAP > CI verdicts and convert summary > must match snapshot 2`] = `
Converted 1 layers (1 already done) into /out

app:1 (cccccccccccc):
  lowerdir=/out/bbbb/diff:/out/aaaa/diff

┌────────────────────┬─────────┬────────┬─────────┬─────────┬───────────────┬────────────┐
│                    │ ENTRIES │ INODES │ REGULAR │ DISK    │ REGULAR BYTES │ DISK BYTES │
├────────────────────┼─────────┼────────┼─────────┼─────────┼───────────────┼────────────┤
│ legacy roots now   │ 9       │ 15     │ 240.1kB │ 300kB   │ 240080        │ 300000     │
│ analyze estimate   │ 9       │ 11     │ 240.1kB │ 282.6kB │ 240080        │ 282624     │
│ measured on output │ 9       │ 11     │ 240.1kB │ 282.6kB │ 240080        │ 282624     │
└────────────────────┴─────────┴────────┴─────────┴─────────┴───────────────┴────────────┘
saved (measured): 4 inodes (26.7%), 17.38kB of disk (5.8%)
verify app:1: identical (8 entries compared)
verify base:1: DIFFERENT
  /etc/os: content differs

`
