#!/bin/sh
# Page-cache folio orders of a cold sequential read through each overlay, by device: a MiB-sized
# lower file (its ext4 copy dropped with POSIX_FADV_DONTNEED first) is read with `dd bs=1M` through
# a fresh mount while the filemap:mm_filemap_add_to_page_cache tracepoint counts the folios added,
# per st_dev and order. On 6.18 a FUSE mount's own device gets only order 0 (fuse_init_file_inode
# sets no folio order); ext4 gets orders up to 9. UPPER=1 puts the file in the upper instead (for
# ovl-fuse: a passthrough open, read from ext4's cache). docs/fuse.md, "Warm read, second pass".
#   sh scripts/folio-orders.sh [ovl-fuse|fuse-overlayfs|kernel ...]   (MIB=128, root only)
set -eu
MIB=${MIB:-128} UPPER=${UPPER:-0}
here=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- ovl-fuse fuse-overlayfs kernel
tmp=$(mktemp -d /tmp/ovlkit-folio-orders-XXXXXX)
inst=/sys/kernel/tracing/instances/ovlkit-folio-orders-$$
ev=$inst/events/filemap/mm_filemap_add_to_page_cache/enable
cleanup() {
  umount "$tmp/m" 2>/dev/null || umount -l "$tmp/m" 2>/dev/null || true
  [ -d "$inst" ] && { echo 0 > "$ev"; rmdir "$inst"; }
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
mkdir -p "$tmp/l" "$tmp/m" "$inst"
dd if=/dev/urandom of="$tmp/l/big.bin" bs=1M count="$MIB" status=none
echo 65536 > "$inst/buffer_size_kb"
drop() { python3 -c 'import os,sys; fd=os.open(sys.argv[1],os.O_RDONLY); os.posix_fadvise(fd,0,0,os.POSIX_FADV_DONTNEED)' "$1"; }
for t in "$@"; do
  rm -rf "$tmp/u" "$tmp/w"; mkdir -p "$tmp/u" "$tmp/w"
  [ "$UPPER" = 1 ] && cp "$tmp/l/big.bin" "$tmp/u/big.bin"
  sync
  for f in "$tmp/l/big.bin" "$tmp/u/big.bin"; do [ -e "$f" ] && drop "$f"; done
  o="lowerdir=$tmp/l,upperdir=$tmp/u,workdir=$tmp/w"
  case $t in
    ovl-fuse) env -u NODE_EXTRA_CA_CERTS "$here/bin/ovl-fuse" -o "$o" "$tmp/m" ;;
    fuse-overlayfs) fuse-overlayfs -o "$o" "$tmp/m" 2>/dev/null ;;
    kernel) mount -t overlay overlay -o "$o" "$tmp/m" ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
  esac
  i=0; until [ -e "$tmp/m/big.bin" ] || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
  dev=$(stat -c %d "$tmp/m/big.bin")
  echo > "$inst/trace"
  echo 1 > "$ev"
  dd if="$tmp/m/big.bin" of=/dev/null bs=1M status=none
  echo 0 > "$ev"
  echo "$t (merged dev $((dev >> 8)):$((dev & 255))), folios added: count dev order"
  grep -o 'dev [0-9]*:[0-9]* .*order=[0-9]*' "$inst/trace" | sed 's/^dev \([0-9:]*\) .*order=\([0-9]*\)$/\1 \2/' | sort | uniq -c
  grep -h '^overrun' "$inst"/per_cpu/cpu*/stats | grep -v ': 0$' || true
  umount "$tmp/m"
done
