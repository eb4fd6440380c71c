/**
 * Sizes as users write them: a count of bytes with an optional unit, binary (`KiB`, `MiB`, `GiB`, or
 * Kubernetes' `Ki`, `Mi`, `Gi`) or decimal (`KB`, `MB`, `GB`, or `k`, `M`, `G`): `16MiB`, `512Ki`,
 * `20MB`, `1048576`.
 */

const unitBytes: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
};

const size = /^([0-9]*\.?[0-9]+)\s*([a-z]*)$/i;

/** Bytes in `text` (rounded down to a whole byte), or `undefined` if it is not a size. */
export function parseByteSize(text: string): number | undefined {
  const match = size.exec(text.trim());
  if (match === null) return undefined;
  const unit = unitBytes[match[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** `bytes` for people: `512 B`, `16 MiB`, `49.6 MiB`. */
export function formatByteSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const rounded = Math.round(value * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)} ${units[unit]}`;
}
