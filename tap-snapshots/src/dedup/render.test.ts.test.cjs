/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`src/dedup/render.test.ts > TAP > analyze tables > must match snapshot 1`] = `
Data root /data
  Sizes in SI units (1 kB = 1000 B, as docker prints them; --binary for KiB/MiB
    as du -h).
  overlay store /data/overlay: 2 layers, 2 images, 0 containers; most names of
    one file: 2 (the filesystem allows 65,000)

DATA ROOT         NAMES  INODES      DISK
image layers          9      10  278.5 kB
container layers      0       0       0 B

IMAGE LAYERS                   NAMES  INODES  FILE DATA      DISK  MAX LINKS
legacy overlay (on disk)           9      10   240.1 kB  278.5 kB          2
as overlay2 diffs (estimated)      8      10   240.1 kB  278.5 kB          1
saved by overlay2 (estimated)              0                  0 B
overlay2 saves an estimated 0 inodes (0.0%) and 0 B of disk (0.0%) over legacy
chains; \`ovl-dedup convert\` measures it.
On disk: 4 files, 6 dirs, 0 symlinks, 0 other inodes; 2 names are hard links;
24.6 kB of directory blocks.

Images (SIZE, SHARED, UNIQUE as docker system df -v):
IMAGE   ID            LAYERS      SIZE    SHARED    UNIQUE
app:1   cccccccccccc       2  240.1 kB  120.0 kB  120.0 kB
base:1  dddddddddddd       1  120.0 kB  120.0 kB       0 B

                               INODES         DISK        SAVED
IMAGE   INODES      DISK  as overlay2  as overlay2  (estimated)
app:1       10  278.5 kB           10     278.5 kB         0.0%
base:1       5  139.3 kB            5     139.3 kB         0.0%

       USED BY                                            INODES         DISK
LAYER  image #index         NAMES  INODES      DISK  as overlay2  as overlay2
aaaa   base:1 #0, app:1 #0      4       5  139.3 kB            5     139.3 kB
bbbb   app:1 #1                 5       6  262.1 kB            5     139.3 kB

Duplicates: 1 group of identical files; 1 redundant copies hold 120.0 kB.
  Counted: non-empty regular files with the same size and content (xxh64), in
  any image or container layer; a hard-linked file counts once; "redundant" is
  every copy but one.
  Files hashed: 4 (240.1 kB), the ones whose size another file has.
REDUNDANT  COPIES      SIZE  FILE          IN LAYER (that added it)
 120.0 kB       2  120.0 kB  /bin/sh       base:1 #0 aaaa
                             /bin/sh-copy  app:1 #1 bbbb

Waste (as dive counts it): a file written in one layer and overwritten or
deleted in a later one still takes space.
                        WASTED       RECLAIMABLE   BY METADATA
IMAGE   EFFICIENCY  all copies  all but the last  changes only
app:1       100.0%        40 B              40 B           0 B
base:1      100.0%         0 B               0 B           0 B

PATH     IMAGES  LAYERS   RECLAIMABLE  WHY
/etc/os  app:1   #0 → #1         40 B  deleted later

Warnings (1):
  /data/overlay/l/XYZ: dangling short link to ../gone/diff

`

exports[`src/dedup/render.test.ts > TAP > CI verdicts and convert summary > must match snapshot 1`] = `
CI rules:
RULE              LIMIT  ACTUAL  RESULT
max-wasted-bytes    1MB     2MB  FAIL
min-efficiency      0.9  0.9500  PASS
`

exports[`src/dedup/render.test.ts > TAP > CI verdicts and convert summary > must match snapshot 2`] = `
Converted 1 layers (1 already done) into /out

app:1 (cccccccccccc):
  lowerdir=/out/bbbb/diff:/out/aaaa/diff

                                                        FILE DATA    DISK
                    NAMES  INODES  FILE DATA      DISK      bytes   bytes
legacy roots now        9      15   240.1 kB  300.0 kB     240080  300000
analyze estimate        9      11   240.1 kB  282.6 kB     240080  282624
measured on output      9      11   240.1 kB  282.6 kB     240080  282624
saved (measured): 4 inodes (26.7%), 17.4 kB of disk (5.8%)
verify app:1: identical (8 entries compared)
verify base:1: DIFFERENT
  /etc/os: content differs

`
