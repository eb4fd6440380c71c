/**
 * The physical memory a group of processes holds together, each page counted once: the union, by
 * page frame number, of the pages resident in any of them (Linux only; PFNs need CAP_SYS_ADMIN).
 *
 * Summed RSS counts a page once per process that maps it: the node binary's pages (about 44 MiB of
 * a proxy's RSS) and the pages a forked process still shares with its parent are counted once per
 * process, though RAM holds them once (and a container's memory accounting charges them once). The
 * union is what the group takes out of RAM.
 *
 * How (the kernel's Documentation/admin-guide/mm/pagemap.rst): /proc/PID/maps lists the process's
 * mappings; /proc/PID/pagemap holds one 64-bit entry per virtual page, at offset (address / page
 * size) × 8: bit 63 set when the page is present in RAM, bits 0-54 its PFN. The mappings without any
 * access (`---p`: V8's and glibc's reservations and guard pages, gigabytes of address space) are
 * skipped: they hold no resident pages in the processes measured here, and reading their entries
 * would cost far more than the rest (checked: the present pages of the other mappings add up to
 * VmRSS, see `ResidentPages.presentPages` and its unit test). Anonymous pages never written map the kernel's shared zero page,
 * which RSS does not count; the union counts it once, one page.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { getconf } from './proc-stats.js';

/** One line of /proc/PID/maps: a range of virtual addresses and its permissions. */
export interface Mapping {
  /** First address. */
  readonly start: number;
  /** Address after the last. */
  readonly end: number;
  /** `rwxp`-style permissions, e.g. `r-xp` or `---p`. */
  readonly perms: string;
}

/** The largest user-space address JavaScript numbers hold exactly (the vsyscall page lies above). */
const MAX_USER_ADDRESS = 2 ** 52;

/**
 * The mappings of a /proc/PID/maps text that can hold resident pages: those with some access, below
 * the kernel's vsyscall page (which pagemap does not describe).
 */
export function parseMaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]+)-([0-9a-f]+) ([-r][-w][-x][ps-])/.exec(line);
    if (match === null) continue;
    const start = parseInt(match[1]!, 16);
    const end = parseInt(match[2]!, 16);
    const perms = match[3]!;
    if (perms.startsWith('---') || end > MAX_USER_ADDRESS || end <= start) continue;
    out.push({ start, end, perms });
  }
  return out;
}

const PRESENT = 0x8000_0000;
/** Bit 61 of an entry (bit 29 of its high word): a page of a file, or shared anonymous memory. */
const FILE_OR_SHARED = 0x2000_0000;
/** Bits 32-54 of an entry: the PFN's high part (bits 0-31 are the low word). */
const PFN_HIGH_MASK = 0x7f_ffff;

/** Frame numbers below this are kept in a bitmap (up to 128 MiB of it: 4 TiB of RAM), above in a Set. */
const BITMAP_FRAMES = 2 ** 30;

/**
 * Physical pages seen so far, by page frame number: a bitmap grown to the highest frame seen (a
 * host's frames are numbered from 0 up to about its RAM's size, so 24 GiB of RAM take 768 KiB of
 * bitmap), which adds a page far faster than a Set would (a sample adds hundreds of thousands).
 */
export class FrameSet {
  private bits = new Uint32Array(1024);
  private readonly high = new Set<number>();
  /** Distinct frames added. */
  size = 0;
  /** Of them, pages of files (the node binary, shared libraries) and of shared memory. */
  fileSize = 0;

  /** Adds a frame; `file` tells whether it holds a page of a file or shared memory. */
  add(pfn: number, file: boolean): void {
    if (pfn >= BITMAP_FRAMES) {
      if (this.high.has(pfn)) return;
      this.high.add(pfn);
    } else {
      const word = pfn >>> 5;
      if (word >= this.bits.length) this.grow(word);
      const bit = 1 << (pfn & 31);
      const bits = this.bits[word]!;
      if ((bits & bit) !== 0) return;
      this.bits[word] = bits | bit;
    }
    this.size++;
    if (file) this.fileSize++;
  }

  private grow(word: number): void {
    let length = this.bits.length;
    while (length <= word) length *= 2;
    const bits = new Uint32Array(length);
    bits.set(this.bits);
    this.bits = bits;
  }
}

/**
 * Adds the PFN of every present page among `count` pagemap entries in `entries` (64-bit words in the
 * host's byte order, as the kernel writes them, read as pairs of 32-bit words on a little-endian
 * host) to `into`; returns how many were present. A present page whose PFN reads 0 means the reader
 * lacks CAP_SYS_ADMIN (the kernel zeroes PFNs then): that throws rather than count every page as one.
 */
export function addPresentFrames(entries: Uint32Array, count: number, into: FrameSet): number {
  let present = 0;
  for (let i = 0; i < count; i++) {
    const high = entries[2 * i + 1]!;
    if ((high & PRESENT) === 0) continue;
    const pfn = (high & PFN_HIGH_MASK) * 2 ** 32 + entries[2 * i]!;
    if (pfn === 0) {
      throw new Error('pagemap gives no page frame numbers (they need CAP_SYS_ADMIN: run as root)');
    }
    into.add(pfn, (high & FILE_OR_SHARED) !== 0);
    present++;
  }
  return present;
}

/** What a group of processes holds, counted both ways, in pages. */
export interface ResidentPages {
  /** Distinct physical pages resident in any of the processes. */
  readonly distinctPages: number;
  /** Of them, pages of files and of shared memory. */
  readonly distinctFilePages: number;
  /** Present pages summed over the processes (a shared page once per process): their summed RSS. */
  readonly presentPages: number;
  /** The processes that could be read (others exited meanwhile). */
  readonly pids: readonly number[];
}

/** The kernel's page size (4 KiB on x86-64, up to 64 KiB on arm64). */
function pageBytes(): number {
  return getconf('PAGESIZE', 4096);
}

/** Pagemap entries read per system call at most (512 KiB of entries). */
const CHUNK_PAGES = 65536;

/** Adds the present pages of one process to `into`; returns how many it has, or undefined if it is gone. */
function addProcess(pid: number, into: FrameSet, chunk: Uint32Array): number | undefined {
  let fd: number;
  let maps: Mapping[];
  try {
    maps = parseMaps(readFileSync(`/proc/${pid}/maps`, 'utf8'));
    fd = openSync(`/proc/${pid}/pagemap`, 'r');
  } catch {
    return undefined;
  }
  const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const size = pageBytes();
  let present = 0;
  try {
    for (const { start, end } of maps) {
      for (let page = start / size; page < end / size; page += CHUNK_PAGES) {
        const count = Math.min(CHUNK_PAGES, end / size - page);
        const read = readSync(fd, bytes, 0, count * 8, page * 8);
        present += addPresentFrames(chunk, Math.floor(read / 8), into);
      }
    }
  } catch (err) {
    // A process that exits while being read: its pages are no longer held.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw err;
  } finally {
    closeSync(fd);
  }
  return present;
}

/** The resident pages of `pids` together: each physical page once, and summed over the processes. */
export function residentPages(pids: readonly number[]): ResidentPages {
  if (endianness() !== 'LE') throw new Error('reading pagemap entries needs a little-endian host');
  const frames = new FrameSet();
  const chunk = new Uint32Array(CHUNK_PAGES * 2);
  let presentPages = 0;
  const read: number[] = [];
  for (const pid of pids) {
    const present = addProcess(pid, frames, chunk);
    if (present === undefined) continue;
    presentPages += present;
    read.push(pid);
  }
  return { distinctPages: frames.size, distinctFilePages: frames.fileSize, presentPages, pids: read };
}

/** Pages to MiB. */
export function pagesToMb(pages: number): number {
  return (pages * pageBytes()) / (1024 * 1024);
}
