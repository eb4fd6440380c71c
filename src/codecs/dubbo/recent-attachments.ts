/**
 * The attachments map a codec checked last, by its bytes, so that the next message carrying the same
 * bytes at any offset is not walked again: a client's calls mostly repeat their attachments (the same
 * application, interface, path, timeout and version on every call of a method).
 *
 * Only a map whose keys and values are all strings and ints is kept. Such a map reads the same
 * wherever it stands in a body: it holds no refs (which count the containers before them), no typed
 * lists or objects (which name earlier types and class definitions), nothing whose meaning depends on
 * what came before it. The limits (maxHeaders, maxHeaderBytes) depend only on its own bytes too.
 */
import { KeptBytes } from './kept-bytes.js';
import { AttachmentsLayout } from './message-state.js';

/** Longer maps are not kept (the comparison would cost about what the walk does). */
const MAX_KEPT_BYTES = 1024;

/** One codec's last plain attachments map: its bytes, and its layout with offsets from its start. */
export class RecentAttachments {
  /** The kept map's bytes; none kept when empty. */
  private readonly bytes = new KeptBytes(MAX_KEPT_BYTES);
  private entriesStart = 0;
  private entries: readonly number[] = [];

  /**
   * The layout of the map at `at` in `source` when its bytes are the kept ones and lie before
   * `limit`; otherwise `undefined`.
   */
  find(source: Buffer, at: number, limit: number): AttachmentsLayout | undefined {
    const kept = this.bytes;
    const length = kept.length;
    if (length === 0 || at + length > limit || !kept.equals(source, at)) return undefined;
    // The kept offsets are from the map's start: shared, not copied and moved for each message.
    return new AttachmentsLayout(at, at + length, this.entriesStart + at, this.entries, at);
  }

  /** Keeps the plain map `layout` of `source` (checked whole), or forgets the kept one. */
  keep(source: Buffer, layout: AttachmentsLayout, plain: boolean): void {
    const length = layout.end - layout.start;
    if (!plain || layout.entriesStart < 0 || length > MAX_KEPT_BYTES) {
      this.bytes.length = 0;
      return;
    }
    this.bytes.keep(source, layout.start, layout.end);
    const start = layout.start;
    this.entriesStart = layout.entriesStart - start;
    const entries: number[] = [];
    for (let i = 0; i < layout.entryOffsets; i++) entries.push(layout.entry(i) - start);
    this.entries = entries;
  }
}
