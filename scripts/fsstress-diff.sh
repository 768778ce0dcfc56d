#!/bin/bash
# Differential fsstress: xfstests' fsstress, deterministic (-p 1, one seed), through kernel
# overlayfs and through ovl-fuse, each on its own copy of the same fsstress-made lower; the final
# trees (type, mode, owner, nlink, link target), contents, sizes and xattrs must be equal, and the
# op logs are compared with inode numbers left out. Ops the FUSE protocol cannot carry are off
# (FIEMAP, clone, dedupe, collapse/insert/unshare ranges; docs/fuse.md), and so are XFS-only ones
# (`setxattr`: an XFS project id). fsstress's `setattr` (chattr with random flags) runs at weight
# SETATTR (default 4) with the flags in MASK (default 0xb8: sync, immutable, append-only,
# noatime), so later ops meet append-only and immutable files and dirs; lsattr of the final trees
# is compared too.
# fsstress is not packaged for Debian 12: build it from xfstests' ltp/fsstress.c (docs/testing.md,
# "fsx and fsstress") and point FSSTRESS at it.
#   LAYERS2=1: two lowers, the top one written by kernel overlayfs running fsstress over the other.
#   FSSTRESS=/path/fsstress [BOTH=kernel+ovl-fuse options] [LAYERS2=1] scripts/fsstress-diff.sh SEED [OPS] [OVL_FUSE_OPTIONS]   (root)
set -u
S=$1; N=${2:-20000}; OPTS=${3:+,$3}; K=${BOTH:+,$BOTH}
FSSTRESS=${FSSTRESS:?set FSSTRESS to an fsstress binary}
OVL=$(cd "$(dirname "$0")/.." && pwd)/bin/ovl-fuse
B=$(mktemp -d /tmp/ovlkit-fsstress-XXXXXX)
trap 'for m in $B/*/m; do mountpoint -q $m && umount -l $m; done; [ -n "${KEEP:-}" ] || { chattr -R -f -ia $B 2>/dev/null; rm -rf $B; }' EXIT
OFF=""; for o in fiemap deduperange clonerange collapse insert unshare setxattr bulkstat bulkstat1 snapshot subvol_create subvol_delete exchangerange uring_read uring_write; do OFF="$OFF -f $o=0"; done
mkdir -p $B/l/b; $FSSTRESS -d $B/l/b/t -n 3000 -p 1 -s $S -f fsync=0 -f sync=0 > /dev/null 2>&1
LOWERS=b
if [ -n "${LAYERS2:-}" ]; then
  # A second lower written by kernel overlayfs over the first: whiteouts, opaque dirs, origins,
  # impure dirs (and redirects with BOTH=redirect_dir=on), as an image build's layer has them.
  mkdir -p $B/l/a $B/l/w $B/l/m
  mount -t overlay overlay -o lowerdir=$B/l/b,upperdir=$B/l/a,workdir=$B/l/w$K $B/l/m || exit 2
  $FSSTRESS -d $B/l/m/t -n 3000 -p 1 -s $((S + 1000)) $OFF -f fsync=0 -f sync=0 > /dev/null 2>&1
  umount $B/l/m; rm -rf $B/l/w $B/l/m; LOWERS=a:b
fi
for T in kernel ovl; do
  R=$B/$T; mkdir -p $R/u $R/w $R/m; cp -a $B/l $R/l
  L=$(echo $LOWERS | sed "s#\([ab]\)#$R/l/\1#g")
  if [ $T = kernel ]; then mount -t overlay overlay -o lowerdir=$L,upperdir=$R/u,workdir=$R/w$K $R/m
  else $OVL -o lowerdir=$L,upperdir=$R/u,workdir=$R/w$K$OPTS $R/m; fi || { echo "seed $S: $T did not mount"; exit 2; }
  timeout 900 $FSSTRESS -d $R/m/t -n $N -p 1 -s $S $OFF -M ${MASK:-0xb8} -f setattr=${SETATTR:-4} -v > $R/log 2>&1; echo $? > $R/rc
  (cd $R/m && find . -printf '%y %m %U %G %n %p -> %l\n' 2>/dev/null | sort > $R/tree
   find . -type f -print0 2>/dev/null | sort -z | xargs -0 -r md5sum > $R/md5 2>/dev/null
   find . -type f -printf '%s %p\n' 2>/dev/null | sort -k2 > $R/size
   getfattr -R -h -d -m - . 2>/dev/null | grep -v '^$' > $R/xattr; lsattr -R . 2>/dev/null | grep -v '^$' > $R/flags)
  umount $R/m || { sleep 1; umount $R/m; }
done
d=0
for k in tree md5 size xattr flags; do cmp -s $B/kernel/$k $B/ovl/$k || { d=1; echo "seed $S: $k differs:"; diff $B/kernel/$k $B/ovl/$k | head -6; }; done
norm() { sed -E 's/^[0-9]+\/[0-9]+://; s/ getattr (\S+) [0-9]+ -1$/ getattr \1 ? -1/; s/\[[0-9]+ [0-9]+ [0-9]+ [0-9]+ [0-9]+ [0-9]+\]//g' "$1"; }
ops=$(diff <(norm $B/kernel/log) <(norm $B/ovl/log) | grep -c '^<')
echo "seed $S: fsstress exit kernel $(cat $B/kernel/rc) ovl-fuse $(cat $B/ovl/rc); $(wc -l < $B/kernel/tree) entries; trees $([ $d = 0 ] && echo equal || echo DIFFER); $ops op lines differ"
[ "$ops" = 0 ] || diff <(norm $B/kernel/log) <(norm $B/ovl/log) | head -8
exit $d
