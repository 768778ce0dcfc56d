// Sizes for humans, one style for every ovl-dedup command (sizeFormat: SI or IEC, one decimal,
// '4.4 MB'), and the parser for size thresholds on the command line. JSON always carries exact bytes.

const FACTOR: Record<string, number> = {
  '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

/**
 * '12345', '4.5MB', '10kB', '2GiB' → bytes; null when it is not a size, or not one a byte count
 * can hold exactly (400 digits would otherwise be Infinity, a limit nothing exceeds).
 */
export function parseSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return null;
  const f = FACTOR[m[2]!.toLowerCase()];
  if (f === undefined) return null;
  const bytes = Math.round(Number(m[1]) * f);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** '1234567' → '1,234,567' for counts in tables. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** `1 container`, `2 containers` (a review: headers said "1 containers"). */
export function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function percent(p: number): string {
  return `${p.toFixed(1)}%`;
}

/** A size formatter for tables: one decimal everywhere, SI (kB = 1000 B, as docker) or IEC (KiB, as du -h). */
export type SizeFormat = (bytes: number) => string;

const SI = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function sizeFormat(binary: boolean): SizeFormat {
  const base = binary ? 1024 : 1000;
  const units = binary ? IEC : SI;
  return (bytes) => {
    let v = Math.abs(bytes);
    let i = 0;
    while (v >= base && i < units.length - 1) {
      v /= base;
      i++;
    }
    // Rounding can carry into the next unit (999.96 kB → 1000.0 kB): step up instead.
    if (i > 0 && Number(v.toFixed(1)) >= base && i < units.length - 1) {
      v /= base;
      i++;
    }
    return `${bytes < 0 ? '-' : ''}${i === 0 ? String(v) : v.toFixed(1)} ${units[i]}`;
  };
}

/** SI sizes ('4.4 MB'): what convert, migrate, the progress bar and --ci print, as analyze does without --binary. */
export const siSize: SizeFormat = sizeFormat(false);
