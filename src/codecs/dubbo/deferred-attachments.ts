/**
 * A Dubbo message's attributes that are decoded only when something reads them (see
 * `Metadata.defer`): the request's service version (as `version`), then every attachment whose key
 * is a string and whose value is a string, int, long, double or boolean (numbers and booleans as
 * text), in wire order, so that an attachment `version` wins over the body's field, as in Dubbo.
 * Entries with other values (null, dates, binaries, lists, maps, objects, refs) or other keys are
 * not attributes; they stay on the wire.
 *
 * A request carries a dozen such strings and a proxy routing on its service and method reads none of
 * them; the codec checked every entry when it decoded the message (attachments-reader.ts), so the
 * decoding here cannot fail.
 */
import type { DeferredAttributes, Metadata } from '../../codec/message.js';
import type { HessianReader } from './hessian-reader.js';
import { isStringTag } from './hessian-tags.js';
import type { AttachmentsLayout } from './message-state.js';

/** The attributes of one message still in its bytes. */
export class DeferredAttachments implements DeferredAttributes {
  /**
   * @param reader a reader used for nothing else while `addTo` runs (the codec keeps one for these)
   * @param bytes the message's frame, as decoded
   * @param version the request's service version field ('' for none, and for responses)
   * @param attachments where the attachments lie, as checked by the decode
   */
  constructor(
    private readonly reader: HessianReader,
    private readonly bytes: Buffer,
    private readonly version: string,
    private readonly attachments: AttachmentsLayout | undefined,
  ) {}

  addTo(metadata: Metadata): void {
    if (this.version !== '') metadata.set('version', this.version);
    const layout = this.attachments;
    if (layout === undefined || layout.entryOffsets === 0) return;
    const reader = this.reader;
    const bytes = this.bytes;
    reader.reset(bytes, bytes.length);
    try {
      for (let i = 0; i < layout.entryOffsets; i += 3) {
        const keyAt = layout.entry(i);
        if (!isStringTag(bytes[keyAt]!)) continue;
        const key = reader.string(keyAt);
        const value = reader.scalarText(layout.entry(i + 1));
        if (value !== undefined) metadata.set(key, value);
      }
    } finally {
      reader.release();
    }
  }
}

/** Whether a message has any attribute to defer. */
export function hasDeferredAttributes(version: string, attachments: AttachmentsLayout | undefined): boolean {
  return version !== '' || (attachments !== undefined && attachments.entryOffsets > 0);
}
