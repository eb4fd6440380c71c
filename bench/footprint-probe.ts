/**
 * Loaded into the measured aeraki processes by `npm run bench:footprint` (`node --import`): on
 * SIGUSR2 it writes the process's V8 heap figures to `$AERAKI_FOOTPRINT_DIR/<pid>.json`, so that the
 * benchmark can print them beside the resident set it reads from /proc. It loads nothing but
 * `node:fs` and `node:v8`, which node has loaded already, and does nothing until signalled.
 */
import { writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

/** What the probe writes, in MiB. */
export interface HeapFigures {
  readonly pid: number;
  /** V8 heap in use (live objects and not yet collected garbage). */
  readonly usedMb: number;
  /** V8 heap pages resident. */
  readonly physicalMb: number;
  /** Of it, the young generation's. */
  readonly youngPhysicalMb: number;
  /** Memory outside the heap that V8 knows of (Buffers). */
  readonly externalMb: number;
}

const MIB = 1024 * 1024;
const dir = process.env['AERAKI_FOOTPRINT_DIR'];

if (dir !== undefined) {
  process.on('SIGUSR2', () => {
    const heap = getHeapStatistics();
    const young = getHeapSpaceStatistics().find(s => s.space_name === 'new_space');
    const figures: HeapFigures = {
      pid: process.pid,
      usedMb: heap.used_heap_size / MIB,
      physicalMb: heap.total_physical_size / MIB,
      youngPhysicalMb: (young?.physical_space_size ?? 0) / MIB,
      externalMb: heap.external_memory / MIB,
    };
    writeFileSync(`${dir}/${process.pid}.json`, JSON.stringify(figures));
  });
}
