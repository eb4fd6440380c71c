/**
 * The benchmarks' count of the physical memory a group of processes holds together: the maps and
 * pagemap entries it reads, the union by page frame number, and the whole against real processes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import {
  FrameSet,
  addPresentFrames,
  pagesToMb,
  parseMaps,
  residentPages,
} from '../../../bench/resident-pages.js';

/** Pagemap entries as the kernel writes them: [low word, high word] per page. */
function entries(...pages: { pfn: number; present?: boolean; file?: boolean }[]): Uint32Array {
  const words = new Uint32Array(pages.length * 2);
  pages.forEach(({ pfn, present = true, file = false }, i) => {
    words[2 * i] = pfn % 2 ** 32;
    words[2 * i + 1] =
      (Math.floor(pfn / 2 ** 32) | (present ? 0x8000_0000 : 0) | (file ? 0x2000_0000 : 0)) >>> 0;
  });
  return words;
}

describe('parseMaps', () => {
  test('keeps the mappings with some access, with their addresses', () => {
    const maps = parseMaps(
      [
        '00400000-00b6f000 r--p 00000000 fe:00 260689                             /usr/bin/node',
        '0565d000-05689000 rw-p 00000000 00:00 0 ',
        '7f49f4002000-7f49f4003000 ---p 00000000 00:00 0 ',
        '7f49f4003000-7f49f403f000 rwxp 00000000 00:00 0 ',
        '7ffdecfd4000-7ffdecff5000 rw-p 00000000 00:00 0                          [stack]',
        'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]',
        '',
      ].join('\n'),
    );
    assert.deepEqual(maps, [
      { start: 0x400000, end: 0xb6f000, perms: 'r--p' },
      { start: 0x565d000, end: 0x5689000, perms: 'rw-p' },
      { start: 0x7f49f4003000, end: 0x7f49f403f000, perms: 'rwxp' },
      { start: 0x7ffdecfd4000, end: 0x7ffdecff5000, perms: 'rw-p' },
    ]);
  });

  test('skips a mapping above the addresses a number holds exactly', () => {
    assert.deepEqual(parseMaps('ffffffffff600000-ffffffffff601000 r-xp 00000000 00:00 0 [vsyscall]'), []);
  });
});

describe('FrameSet', () => {
  test('counts each frame once, the file frames apart, across a grown bitmap and beyond it', () => {
    const frames = new FrameSet();
    for (const [pfn, file] of [
      [5, false],
      [5, false],
      [31, true],
      [32, false],
      [6_000_000, true], // past the first bitmap: it grows
      [6_000_000, true],
      [5, false], // still there after growing
      [2 ** 40 + 3, false], // past any bitmap
      [2 ** 40 + 3, false],
    ] as const) {
      frames.add(pfn, file);
    }
    assert.equal(frames.size, 5);
    assert.equal(frames.fileSize, 2);
  });
});

describe('addPresentFrames', () => {
  test('counts present pages only, each frame once across calls, and the file pages apart', () => {
    const frames = new FrameSet();
    const first = entries({ pfn: 7 }, { pfn: 9, present: false }, { pfn: 11, file: true });
    assert.equal(addPresentFrames(first, 3, frames), 2);
    // A second process mapping frame 11 (a shared file page) and a frame of its own.
    const second = entries({ pfn: 11, file: true }, { pfn: 12 });
    assert.equal(addPresentFrames(second, 2, frames), 2);
    assert.equal(frames.size, 3);
    assert.equal(frames.fileSize, 1);
  });

  test('reads the frame number from bits 0-54, beyond 32 bits', () => {
    const frames = new FrameSet();
    const big = 2 ** 54 + 2 ** 40 + 5;
    addPresentFrames(entries({ pfn: big }, { pfn: 2 ** 40 + 5 }, { pfn: big }), 3, frames);
    assert.equal(frames.size, 2);
  });

  test('reads only the first `count` entries of the buffer', () => {
    const frames = new FrameSet();
    assert.equal(addPresentFrames(entries({ pfn: 1 }, { pfn: 2 }), 1, frames), 1);
    assert.equal(frames.size, 1);
  });

  test('a present page without a frame number (no CAP_SYS_ADMIN) is an error, not one page', () => {
    assert.throws(() => addPresentFrames(entries({ pfn: 0 }), 1, new FrameSet()), /CAP_SYS_ADMIN/);
    // Absent pages read 0 as well, and are no error.
    assert.equal(addPresentFrames(entries({ pfn: 0, present: false }), 1, new FrameSet()), 0);
  });
});

describe('residentPages against real processes', () => {
  // `sleep` touches no memory while it sleeps, so its resident pages do not move between reads.
  const sleepers: ChildProcess[] = [];
  const sleeper = async (): Promise<number> => {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    sleepers.push(child);
    await new Promise(resolve => child.once('spawn', resolve));
    // Wait until exec has replaced the forked image (its command line is sleep's).
    for (;;) {
      if (readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').startsWith('sleep')) break;
      await new Promise(resolve => setTimeout(resolve, 10));
    }
    await new Promise(resolve => setTimeout(resolve, 100));
    return child.pid!;
  };
  after(() => {
    for (const child of sleepers) child.kill();
  });
  const rssMb = (pid: number): number =>
    Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  // Kernels before 6.2 fold a thread's RSS counter into VmRSS every 64 page faults, so VmRSS may lag
  // the page tables by up to 64 pages per thread.
  const closeToRss = (pages: number, mb: number, processes = 1) =>
    assert.ok(
      Math.abs(pagesToMb(pages) - mb) <= pagesToMb(64 * processes),
      `${pagesToMb(pages)} MiB ~ VmRSS ${mb} MiB`,
    );

  test('one process: its present pages are its RSS, and each counted once when listed twice', async () => {
    const pid = await sleeper();
    const once = residentPages([pid]);
    closeToRss(once.presentPages, rssMb(pid));
    assert.equal(once.distinctPages, once.presentPages);
    const twice = residentPages([pid, pid]);
    assert.equal(twice.presentPages, 2 * once.presentPages);
    assert.equal(twice.distinctPages, once.distinctPages);
    assert.deepEqual(twice.pids, [pid, pid]);
  });

  test('two processes of one binary share its file pages: fewer distinct pages than summed RSS', async () => {
    const a = await sleeper();
    const b = await sleeper();
    const both = residentPages([a, b]);
    closeToRss(both.presentPages, rssMb(a) + rssMb(b), 2);
    assert.ok(both.distinctPages < both.presentPages, `${both.distinctPages} < ${both.presentPages}`);
    // What they share is the pages of sleep's and libc's files, counted once.
    const shared = both.presentPages - both.distinctPages;
    assert.ok(both.distinctFilePages >= shared, `${both.distinctFilePages} file pages >= ${shared} shared`);
  });

  test('a process that is gone is left out', async () => {
    const pid = await sleeper();
    const gone = spawn('true');
    await new Promise(resolve => gone.once('exit', resolve));
    const result = residentPages([pid, gone.pid!]);
    assert.deepEqual(result.pids, [pid]);
  });
});
