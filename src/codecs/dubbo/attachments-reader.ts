/**
 * Reads the attachments map at the end of a Dubbo request (or of a response of type 3–5):
 *
 *   attachments := 'H' (key value)* 'Z' | 'M' type (key value)* 'Z' | 'N' | (absent: end of body)
 *
 * Keys and values are strings in practice. A string-keyed entry whose value is a string, int, long,
 * double or boolean becomes a metadata attribute (numbers and booleans as text); entries with other
 * values (null, dates, binaries, lists, maps, objects) or non-string keys are skipped but kept on the
 * wire. Every entry's position is recorded for rewriting.
 *
 * Limits (CODEC_TOO_LARGE, naming the setting): at most `maxHeaders` entries, and the map may not
 * reach more than `maxHeaderBytes` past its first byte. Reads stop at that bound, so a map that
 * claims more costs no more than the limits allow.
 */
import type { Metadata } from '../../codec/message.js';
import { CodecError, ErrorCodes, malformed } from '../../errors.js';
import type { HeaderLimits } from './codec-config.js';
import type { HessianReader } from './hessian-reader.js';
import type { HessianSkipper } from './hessian-skipper.js';
import { TAG_END, TAG_MAP_TYPED, TAG_MAP_UNTYPED, TAG_NULL, isStringTag } from './hessian-tags.js';
import { AttachmentsLayout } from './message-state.js';

const NO_ENTRIES: readonly number[] = [];

/** Reads the attachments at `at` into `metadata`; returns where they lie. */
export function readAttachments(
  reader: HessianReader,
  skipper: HessianSkipper,
  at: number,
  metadata: Metadata,
  limits: HeaderLimits,
): AttachmentsLayout {
  if (at === reader.bodyEnd) return new AttachmentsLayout(at, at, -1, NO_ENTRIES);
  const end = reader.end;
  reader.end = Math.min(end, at + limits.maxHeaderBytes);
  try {
    return readMap(reader, skipper, at, metadata, limits.maxHeaders);
  } catch (error) {
    if (!reader.isNeedMore(error)) throw error;
    throw new CodecError(
      ErrorCodes.CODEC_TOO_LARGE,
      `dubbo attachments exceed the limit of ${limits.maxHeaderBytes} bytes (maxHeaderBytes)`,
    );
  } finally {
    reader.end = end;
  }
}

function readMap(
  reader: HessianReader,
  skipper: HessianSkipper,
  at: number,
  metadata: Metadata,
  maxEntries: number,
): AttachmentsLayout {
  const tag = reader.tag(at);
  if (tag === TAG_NULL) return new AttachmentsLayout(at, at + 1, -1, NO_ENTRIES);
  let offset: number;
  if (tag === TAG_MAP_UNTYPED) {
    offset = at + 1;
  } else if (tag === TAG_MAP_TYPED) {
    const typeTag = reader.tag(at + 1);
    if (isStringTag(typeTag)) {
      offset = reader.stringEnd(at + 1);
    } else {
      reader.int(at + 1);
      offset = reader.next;
    }
  } else {
    throw malformed(`dubbo attachments must be a map, found tag 0x${tag.toString(16).padStart(2, '0')}`);
  }
  // The map is a ref target for the values inside it, as in Java's Hessian2Input.
  skipper.addRefTarget();
  const entriesStart = offset;
  const entries: number[] = [];
  for (;;) {
    if (reader.tag(offset) === TAG_END) break;
    if (entries.length === maxEntries * 3) {
      throw new CodecError(
        ErrorCodes.CODEC_TOO_LARGE,
        `dubbo attachments exceed the limit of ${maxEntries} entries (maxHeaders)`,
      );
    }
    const keyAt = offset;
    let key: string | undefined;
    if (isStringTag(reader.tag(keyAt))) {
      key = reader.string(keyAt);
      offset = reader.next;
    } else {
      offset = skipper.skip(keyAt);
    }
    const valueAt = offset;
    const value = key === undefined ? undefined : reader.scalarText(valueAt);
    offset = value === undefined ? skipper.skip(valueAt) : reader.next;
    entries.push(keyAt, valueAt, offset);
    if (value !== undefined) metadata.set(key!, value);
  }
  return new AttachmentsLayout(at, offset + 1, entriesStart, entries);
}
