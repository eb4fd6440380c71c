/**
 * Reads the attachments map at the end of a Dubbo request (or of a response of type 3–5):
 *
 *   attachments := 'H' (key value)* 'Z' | 'M' type (key value)* 'Z' | 'N' | (absent: end of body)
 *
 * Keys and values are strings in practice. Every entry is checked (its key and value walked, strings
 * checked as CESU-8) but nothing is decoded here: its position is recorded, for rewriting and for
 * the metadata, which decodes the entries only when something reads them (deferred-attachments.ts).
 *
 * Limits (CODEC_TOO_LARGE, naming the setting): at most `maxHeaders` entries, and the map may not
 * reach more than `maxHeaderBytes` past its first byte. Reads stop at that bound, so a map that
 * claims more costs no more than the limits allow.
 */
import { CodecError, ErrorCodes, malformed } from '../../errors.js';
import type { HeaderLimits } from './codec-config.js';
import type { HessianReader } from './hessian-reader.js';
import type { HessianSkipper } from './hessian-skipper.js';
import { TAG_END, TAG_MAP_TYPED, TAG_MAP_UNTYPED, TAG_NULL, isIntTag, isStringTag } from './hessian-tags.js';
import { AttachmentsLayout } from './message-state.js';
import type { RecentAttachments } from './recent-attachments.js';

const NO_ENTRIES: readonly number[] = [];

/**
 * Checks the attachments at `at`; returns where they and their entries lie. A map with the bytes of
 * the one `recent` kept is not walked again (see recent-attachments.ts).
 */
export function readAttachments(
  reader: HessianReader,
  skipper: HessianSkipper,
  at: number,
  limits: HeaderLimits,
  recent: RecentAttachments,
): AttachmentsLayout {
  if (at === reader.bodyEnd) return new AttachmentsLayout(at, at, -1, NO_ENTRIES);
  const end = reader.end;
  const limit = Math.min(end, at + limits.maxHeaderBytes);
  const known = recent.find(reader.bytes, at, limit);
  if (known !== undefined) {
    skipper.addRefTarget();
    return known;
  }
  reader.end = limit;
  try {
    return readMap(reader, skipper, at, limits.maxHeaders, recent);
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
  maxEntries: number,
  recent: RecentAttachments,
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
  let plain = true;
  for (;;) {
    if (reader.tag(offset) === TAG_END) break;
    if (entries.length === maxEntries * 3) {
      throw new CodecError(
        ErrorCodes.CODEC_TOO_LARGE,
        `dubbo attachments exceed the limit of ${maxEntries} entries (maxHeaders)`,
      );
    }
    const keyAt = offset;
    plain &&= isPlainTag(reader.tag(keyAt));
    offset = partEnd(reader, skipper, keyAt);
    const valueAt = offset;
    plain &&= isPlainTag(reader.tag(valueAt));
    offset = partEnd(reader, skipper, valueAt);
    entries.push(keyAt, valueAt, offset);
  }
  const layout = new AttachmentsLayout(at, offset + 1, entriesStart, entries);
  recent.keep(reader.bytes, layout, plain);
  return layout;
}

/** The offset past the key or value at `at`; a string is checked, not decoded. */
function partEnd(reader: HessianReader, skipper: HessianSkipper, at: number): number {
  return isStringTag(reader.tag(at)) ? reader.stringEnd(at) : skipper.skip(at);
}

/** Whether a key or value with this tag reads the same wherever its map stands (recent-attachments.ts). */
function isPlainTag(tag: number): boolean {
  return isStringTag(tag) || isIntTag(tag);
}
