/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/dedup/analyze-human.test.ts > TAP > overlay: the human output > IEC units, 60 columns 1`] = `
Data root <root>
  Sizes in IEC units (1 KiB = 1024 B, as du -h).
  overlay store <root>/overlay:
    4 layers, 3 images, 0 containers; most names of one
    file: 4 (the filesystem allows 65,000)

DATA ROOT                      NAMES  INODES       DISK
image layers                      23      20  348.0 KiB
container layers                   0       0        0 B
outside the layers (metadata)     42      38  152.0 KiB
whole data root                   65      58  500.0 KiB
The whole-root row counts what \`find DATA_ROOT -xdev | wc
-l\`, \`du -s -x --inodes DATA_ROOT\` and \`du -s -x DATA_ROOT\`
count (hard links once, a running container's mount left
out).

                                                         MAX
IMAGE LAYERS      NAMES  INODES  FILE DATA       DISK  LINKS
legacy overlay       23      20  273.5 KiB  348.0 KiB      4
(on disk)
as overlay2          12      16  273.5 KiB  328.0 KiB      1
diffs
(estimated)
saved by                      4              20.0 KiB
overlay2
(estimated)
overlay2 saves an estimated 4 inodes (20.0%) and 20.0 KiB of
disk (5.8%) over legacy chains; \`ovl-dedup convert\` measures
it.
On disk: 6 files, 14 dirs, 0 symlinks, 0 other inodes; 11
names are hard links; 56.0 KiB of directory blocks.

Images (SIZE, SHARED, UNIQUE as docker system df -v):
IMAGE   ID            LAYERS  SIZE  SHARED  UNIQUE
app:2   c898dfc76b3e       3   0 B     0 B     0 B
base:1  de672bd713c8       1   0 B     0 B     0 B
side:1  0cae422430fa       2   0 B     0 B     0 B

                             INODES       DISK
                                 as         as        SAVED
IMAGE   INODES       DISK  overlay2   overlay2  (estimated)
app:2       16  332.0 KiB        14  320.0 KiB         3.6%
base:1       6  172.0 KiB         6  172.0 KiB         0.0%
side:1      10  188.0 KiB         8  180.0 KiB         4.3%

       USED BY                                 INODES       DISK
       image                                       as         as
LAYER  #index      NAMES  INODES       DISK  overlay2   overlay2
830f…  base:1 #0,      5       6  172.0 KiB         6  172.0 KiB
       side:1 #0,
       app:2 #0
fbd6…  app:2 #1        6       7  264.0 KiB         5  132.0 KiB
f62b…  app:2 #2        6       7  264.0 KiB         3   16.0 KiB
976d…  side:1 #1       6       7  176.0 KiB         2    8.0 KiB

Duplicates: 2 groups of identical files; 2 redundant copies
  hold 122.1 KiB.
  Counted: non-empty regular files with the same size and
  content (xxh64), in any image or container layer; a
  hard-linked file counts once; "redundant" is every copy
  but one.
  Files hashed: 4 (244.1 KiB), the ones whose size another
  file has.
                                            IN LAYER
                                            (that
REDUNDANT  COPIES       SIZE  FILE          added it)
117.2 KiB       2  117.2 KiB  /bin/sh       base:1 #0
                                            830f5bf1fc3d
                              /opt/sh-copy  app:2 #1
                                            fbd67ef35632
  4.9 KiB       2    4.9 KiB  …tc/app.conf  base:1 #0
                                            830f5bf1fc3d
                              …tc/app.conf  app:2 #2
                                            f62b71a845ac

Waste (as dive counts it): a file written in one layer and
overwritten or deleted in a later one still takes space.
                                                 BY
                      WASTED  RECLAIMABLE  METADATA
                         all  all but the   changes
IMAGE   EFFICIENCY    copies         last      only
app:2        87.5%  39.1 KiB     34.2 KiB   4.9 KiB
base:1      100.0%       0 B          0 B       0 B
side:1      100.0%       0 B          0 B       0 B

PATH          IMAGES  LAYERS   RECLAIMABLE  WHY
/etc/tmp.log  app:2   #0 → #1     29.3 KiB  deleted later
…tc/app.conf  app:2   #0 → #2      4.9 KiB  chmod/chown/
                                            touch copied it
`

exports[`test/dedup/analyze-human.test.ts > TAP > overlay: the human output > SI units, 80 columns 1`] = `
Data root <root>
  Sizes in SI units (1 kB = 1000 B, as docker prints them; --binary for KiB/MiB
    as du -h).
  overlay store <root>/overlay: 4 layers, 3 images,
    0 containers; most names of one file: 4 (the filesystem allows 65,000)

DATA ROOT                      NAMES  INODES      DISK
image layers                      23      20  356.4 kB
container layers                   0       0       0 B
outside the layers (metadata)     42      38  155.6 kB
whole data root                   65      58  512.0 kB
The whole-root row counts what \`find DATA_ROOT -xdev | wc -l\`, \`du -s -x
--inodes DATA_ROOT\` and \`du -s -x DATA_ROOT\` count (hard links once, a running
container's mount left out).

IMAGE LAYERS                   NAMES  INODES  FILE DATA      DISK  MAX LINKS
legacy overlay (on disk)          23      20   280.1 kB  356.4 kB          4
as overlay2 diffs (estimated)     12      16   280.1 kB  335.9 kB          1
saved by overlay2 (estimated)              4              20.5 kB
overlay2 saves an estimated 4 inodes (20.0%) and 20.5 kB of disk (5.8%) over
legacy chains; \`ovl-dedup convert\` measures it.
On disk: 6 files, 14 dirs, 0 symlinks, 0 other inodes; 11 names are hard links;
57.3 kB of directory blocks.

Images (SIZE, SHARED, UNIQUE as docker system df -v):
IMAGE   ID            LAYERS  SIZE  SHARED  UNIQUE
app:2   c898dfc76b3e       3   0 B     0 B     0 B
base:1  de672bd713c8       1   0 B     0 B     0 B
side:1  0cae422430fa       2   0 B     0 B     0 B

                               INODES         DISK        SAVED
IMAGE   INODES      DISK  as overlay2  as overlay2  (estimated)
app:2       16  340.0 kB           14     327.7 kB         3.6%
base:1       6  176.1 kB            6     176.1 kB         0.0%
side:1      10  192.5 kB            8     184.3 kB         4.3%

              USED BY                                        INODES         DISK
LAYER         image #index     NAMES  INODES      DISK  as overlay2  as overlay2
830f5bf1fc3d  base:1 #0,           5       6  176.1 kB            6     176.1 kB
              side:1 #0,
              app:2 #0
fbd67ef35632  app:2 #1             6       7  270.3 kB            5     135.2 kB
f62b71a845ac  app:2 #2             6       7  270.3 kB            3      16.4 kB
976db42eb230  side:1 #1            6       7  180.2 kB            2       8.2 kB

Duplicates: 2 groups of identical files; 2 redundant copies hold 125.0 kB.
  Counted: non-empty regular files with the same size and content (xxh64), in
  any image or container layer; a hard-linked file counts once; "redundant" is
  every copy but one.
  Files hashed: 4 (250.0 kB), the ones whose size another file has.
REDUNDANT  COPIES      SIZE  FILE           IN LAYER (that added it)
 120.0 kB       2  120.0 kB  /bin/sh        base:1 #0 830f5bf1fc3d
                             /opt/sh-copy   app:2 #1 fbd67ef35632
   5.0 kB       2    5.0 kB  /etc/app.conf  base:1 #0 830f5bf1fc3d
                             /etc/app.conf  app:2 #2 f62b71a845ac

Waste (as dive counts it): a file written in one layer and overwritten or
deleted in a later one still takes space.
                        WASTED       RECLAIMABLE   BY METADATA
IMAGE   EFFICIENCY  all copies  all but the last  changes only
app:2        87.5%     40.0 kB           35.0 kB        5.0 kB
base:1      100.0%         0 B               0 B           0 B
side:1      100.0%         0 B               0 B           0 B

PATH           IMAGES  LAYERS   RECLAIMABLE  WHY
/etc/tmp.log   app:2   #0 → #1      30.0 kB  deleted later
/etc/app.conf  app:2   #0 → #2       5.0 kB  chmod/chown/touch copied it
`

exports[`test/dedup/analyze-human.test.ts > TAP > overlay2: the human output > IEC units, 60 columns 1`] = `
Data root <root>
  Sizes in IEC units (1 KiB = 1024 B, as du -h).
  overlay2 store <root>/overlay2: 4
    layers, 3 images, 0 containers; most names of one file:
    1 (the filesystem allows 65,000)

DATA ROOT                      NAMES  INODES       DISK
image layers                      12      16  328.0 KiB
container layers                   0       0        0 B
outside the layers (metadata)     43      39  156.0 KiB
whole data root                   55      55  484.0 KiB
The whole-root row counts what \`find DATA_ROOT -xdev | wc
-l\`, \`du -s -x --inodes DATA_ROOT\` and \`du -s -x DATA_ROOT\`
count (hard links once, a running container's mount left
out).

                                                         MAX
IMAGE LAYERS      NAMES  INODES  FILE DATA       DISK  LINKS
overlay2 (on         12      16  273.5 KiB  328.0 KiB      1
disk)
as legacy chains     23      20  273.5 KiB  348.0 KiB      4
(estimated)
saved by                      4              20.0 KiB
overlay2
(estimated)
overlay2 saves an estimated 4 inodes (20.0%) and 20.0 KiB of
disk (5.8%) over legacy chains.
On disk: 6 files, 9 dirs, 0 symlinks, 1 other inodes; 0
names are hard links; 36.0 KiB of directory blocks.

Images (SIZE, SHARED, UNIQUE as docker system df -v):
IMAGE   ID            LAYERS  SIZE  SHARED  UNIQUE
app:2   b3af0b5c3573       3   0 B     0 B     0 B
base:1  ec42292dad5f       1   0 B     0 B     0 B
side:1  2fa3ff79706d       2   0 B     0 B     0 B

                              INODES       DISK        SAVED
IMAGE   INODES       DISK  as legacy  as legacy  (estimated)
app:2       14  320.0 KiB         16  332.0 KiB         3.6%
base:1       6  172.0 KiB          6  172.0 KiB         0.0%
side:1       8  180.0 KiB         10  188.0 KiB         4.3%

       USED BY                               INODES
       image                                     as       DISK
LAYER  #index      NAMES  INODES       DISK  legacy  as legacy
9a59…  base:1 #0,      5       6  172.0 KiB       6  172.0 KiB
       side:1 #0,
       app:2 #0
ada3…  app:2 #1        4       5  132.0 KiB       7  264.0 KiB
8e4e…  app:2 #2        2       3   16.0 KiB       7  264.0 KiB
cc08…  side:1 #1       1       2    8.0 KiB       7  176.0 KiB

Duplicates: 2 groups of identical files; 2 redundant copies
  hold 122.1 KiB.
  Counted: non-empty regular files with the same size and
  content (xxh64), in any image or container layer; a
  hard-linked file counts once; "redundant" is every copy
  but one.
  Files hashed: 4 (244.1 KiB), the ones whose size another
  file has.
                                            IN LAYER
                                            (that
REDUNDANT  COPIES       SIZE  FILE          added it)
117.2 KiB       2  117.2 KiB  /bin/sh       base:1 #0
                                            9a5924bcfb2b
                              /opt/sh-copy  app:2 #1
                                            ada39db23126
  4.9 KiB       2    4.9 KiB  …tc/app.conf  base:1 #0
                                            9a5924bcfb2b
                              …tc/app.conf  app:2 #2
                                            8e4e96e3a733

Waste (as dive counts it): a file written in one layer and
overwritten or deleted in a later one still takes space.
                                                 BY
                      WASTED  RECLAIMABLE  METADATA
                         all  all but the   changes
IMAGE   EFFICIENCY    copies         last      only
app:2        87.5%  39.1 KiB     34.2 KiB   4.9 KiB
base:1      100.0%       0 B          0 B       0 B
side:1      100.0%       0 B          0 B       0 B

PATH          IMAGES  LAYERS   RECLAIMABLE  WHY
/etc/tmp.log  app:2   #0 → #1     29.3 KiB  deleted later
…tc/app.conf  app:2   #0 → #2      4.9 KiB  chmod/chown/
                                            touch copied it
`

exports[`test/dedup/analyze-human.test.ts > TAP > overlay2: the human output > SI units, 80 columns 1`] = `
Data root <root>
  Sizes in SI units (1 kB = 1000 B, as docker prints them; --binary for KiB/MiB
    as du -h).
  overlay2 store <root>/overlay2: 4 layers, 3 images, 0
    containers; most names of one file: 1 (the filesystem allows 65,000)

DATA ROOT                      NAMES  INODES      DISK
image layers                      12      16  335.9 kB
container layers                   0       0       0 B
outside the layers (metadata)     43      39  159.7 kB
whole data root                   55      55  495.6 kB
The whole-root row counts what \`find DATA_ROOT -xdev | wc -l\`, \`du -s -x
--inodes DATA_ROOT\` and \`du -s -x DATA_ROOT\` count (hard links once, a running
container's mount left out).

IMAGE LAYERS                   NAMES  INODES  FILE DATA      DISK  MAX LINKS
overlay2 (on disk)                12      16   280.1 kB  335.9 kB          1
as legacy chains (estimated)      23      20   280.1 kB  356.4 kB          4
saved by overlay2 (estimated)              4              20.5 kB
overlay2 saves an estimated 4 inodes (20.0%) and 20.5 kB of disk (5.8%) over
legacy chains.
On disk: 6 files, 9 dirs, 0 symlinks, 1 other inodes; 0 names are hard links;
36.9 kB of directory blocks.

Images (SIZE, SHARED, UNIQUE as docker system df -v):
IMAGE   ID            LAYERS  SIZE  SHARED  UNIQUE
app:2   b3af0b5c3573       3   0 B     0 B     0 B
base:1  ec42292dad5f       1   0 B     0 B     0 B
side:1  2fa3ff79706d       2   0 B     0 B     0 B

                             INODES       DISK        SAVED
IMAGE   INODES      DISK  as legacy  as legacy  (estimated)
app:2       14  327.7 kB         16   340.0 kB         3.6%
base:1       6  176.1 kB          6   176.1 kB         0.0%
side:1       8  184.3 kB         10   192.5 kB         4.3%

              USED BY                                          INODES       DISK
LAYER         image #index         NAMES  INODES      DISK  as legacy  as legacy
9a5924bcfb2b  base:1 #0,               5       6  176.1 kB          6   176.1 kB
              side:1 #0, app:2 #0
ada39db23126  app:2 #1                 4       5  135.2 kB          7   270.3 kB
8e4e96e3a733  app:2 #2                 2       3   16.4 kB          7   270.3 kB
cc080b3f7dc3  side:1 #1                1       2    8.2 kB          7   180.2 kB

Duplicates: 2 groups of identical files; 2 redundant copies hold 125.0 kB.
  Counted: non-empty regular files with the same size and content (xxh64), in
  any image or container layer; a hard-linked file counts once; "redundant" is
  every copy but one.
  Files hashed: 4 (250.0 kB), the ones whose size another file has.
REDUNDANT  COPIES      SIZE  FILE           IN LAYER (that added it)
 120.0 kB       2  120.0 kB  /bin/sh        base:1 #0 9a5924bcfb2b
                             /opt/sh-copy   app:2 #1 ada39db23126
   5.0 kB       2    5.0 kB  /etc/app.conf  base:1 #0 9a5924bcfb2b
                             /etc/app.conf  app:2 #2 8e4e96e3a733

Waste (as dive counts it): a file written in one layer and overwritten or
deleted in a later one still takes space.
                        WASTED       RECLAIMABLE   BY METADATA
IMAGE   EFFICIENCY  all copies  all but the last  changes only
app:2        87.5%     40.0 kB           35.0 kB        5.0 kB
base:1      100.0%         0 B               0 B           0 B
side:1      100.0%         0 B               0 B           0 B

PATH           IMAGES  LAYERS   RECLAIMABLE  WHY
/etc/tmp.log   app:2   #0 → #1      30.0 kB  deleted later
/etc/app.conf  app:2   #0 → #2       5.0 kB  chmod/chown/touch copied it
`
