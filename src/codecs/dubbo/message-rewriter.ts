/**
 * Writes a decoded Dubbo message back with a new request id and/or a mutation written into its
 * attachments; the arguments (or result) are copied untouched. Layouts written:
 *
 *   id only:       the same bytes, the 8-byte id rewritten in place
 *   attachments:   header' body[.. first entry] kept-entries new-entries 'Z' body[map end ..]
 *                  (a body without attachments, or with null ones, gets a new 'H' map)
 *   upgrade:       header' type+3 body[after type ..] 'H' new-entries 'Z'
 *                  (an OK response of type 0, 1 or 2 becomes type 3, 4 or 5, which carry attachments)
 *
 * where header' has the new body length and id. Mutation entries are strings; an existing entry with
 * the same key (compared case-insensitively, as metadata keys are) is dropped when its value is a
 * leaf. A list, map or object value is kept, since Hessian back-references count such values, and
 * the new entry after it wins (Dubbo reads attachments into a map: the last entry of a key wins).
 */
import type { EncodeOptions } from '../../codec/codec.js';
import type { Mutation } from '../../codec/message.js';
import { CodecError, ErrorCodes } from '../../errors.js';
import type { HessianReader } from './hessian-reader.js';
import {
  LIST_DIRECT_MIN_TAG,
  LIST_DIRECT_UNTYPED_MAX_TAG,
  OBJECT_DIRECT_MAX_TAG,
  OBJECT_DIRECT_MIN_TAG,
  TAG_CLASS_DEF,
  TAG_END,
  TAG_LIST_FIXED_UNTYPED,
  TAG_LIST_VARIABLE,
  TAG_MAP_TYPED,
  TAG_MAP_UNTYPED,
  TAG_OBJECT,
  isStringTag,
} from './hessian-tags.js';
import { directInt, stringSize, writeString } from './hessian-writer.js';
import type { AttachmentsLayout, DubboMessageState } from './message-state.js';
import { isValidRequestId, writeRequestId } from './request-id.js';
import {
  BODY_LENGTH_OFFSET,
  FLAG_EVENT,
  FLAG_REQUEST,
  HEADER_SIZE,
  RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS,
  STATUS_OK,
  WITH_ATTACHMENTS_DELTA,
} from './wire-constants.js';

/** Where a mutation goes in a message. */
const TARGET_NONE = 0;
const TARGET_ATTACHMENTS = 1;
const TARGET_UPGRADE = 2;

function mutationTarget(state: DubboMessageState, upgradeResponses: boolean): number {
  if ((state.flags & FLAG_EVENT) !== 0) return TARGET_NONE;
  if ((state.flags & FLAG_REQUEST) !== 0) return TARGET_ATTACHMENTS;
  if (state.status !== STATUS_OK) return TARGET_NONE;
  if (state.responseType >= RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS) return TARGET_ATTACHMENTS;
  return upgradeResponses ? TARGET_UPGRADE : TARGET_NONE;
}

/** Whether a value with this tag can be removed without shifting Hessian's reference numbering. */
function isLeafTag(tag: number): boolean {
  return !(
    tag === TAG_CLASS_DEF ||
    tag === TAG_OBJECT ||
    (tag >= OBJECT_DIRECT_MIN_TAG && tag <= OBJECT_DIRECT_MAX_TAG) ||
    tag === TAG_MAP_UNTYPED ||
    tag === TAG_MAP_TYPED ||
    (tag >= TAG_LIST_VARIABLE && tag <= TAG_LIST_FIXED_UNTYPED) ||
    (tag >= LIST_DIRECT_MIN_TAG && tag <= LIST_DIRECT_UNTYPED_MAX_TAG)
  );
}

/** Bytes the mutation's entries take as Hessian strings. */
function entriesSize(mutation: Mutation): number {
  let size = 0;
  for (const [key, value] of mutation) size += stringSize(key) + stringSize(value);
  return size;
}

function writeEntries(out: Buffer, at: number, mutation: Mutation): number {
  let offset = at;
  for (const [key, value] of mutation) {
    offset = writeString(out, offset, key);
    offset = writeString(out, offset, value);
  }
  return offset;
}

/**
 * The wire bytes for a message decoded by the Dubbo codec with `options` applied. `upgradeResponses`
 * says whether an OK response without attachments may be turned into one with attachments (the
 * client reads them); otherwise a mutation of such a response is ignored. `reader` is scratch.
 */
export function rewriteDubboMessage(
  bytes: Buffer,
  state: DubboMessageState,
  options: EncodeOptions,
  upgradeResponses: boolean,
  reader: HessianReader,
): Buffer {
  // Without a new id the message keeps its own (a rewritten copy starts with the same header).
  const id = options.requestId;
  if (id !== undefined && !isValidRequestId(id)) {
    throw new CodecError(ErrorCodes.CODEC_UNSUPPORTED, `dubbo request id ${id} cannot be written`);
  }
  const mutation = options.mutation;
  const target =
    mutation === undefined || mutation.size === 0 ? TARGET_NONE : mutationTarget(state, upgradeResponses);
  if (target === TARGET_NONE) {
    if (id !== undefined) writeRequestId(bytes, id);
    return bytes;
  }
  const out =
    target === TARGET_ATTACHMENTS
      ? rewriteAttachments(bytes, state.attachments!, mutation!, reader)
      : upgradeResponse(bytes, state, mutation!);
  reader.release();
  out.writeInt32BE(out.length - HEADER_SIZE, BODY_LENGTH_OFFSET);
  if (id !== undefined) writeRequestId(out, id);
  return out;
}

function rewriteAttachments(
  bytes: Buffer,
  layout: AttachmentsLayout,
  mutation: Mutation,
  reader: HessianReader,
): Buffer {
  const replaced = new Set<string>();
  for (const key of mutation.keys()) replaced.add(key.toLowerCase());
  const offsets = layout.entryOffsets;
  // Which existing entries stay: 1 per entry.
  const keep = new Uint8Array(offsets / 3);
  let keptSize = 0;
  reader.reset(bytes, bytes.length);
  for (let i = 0; i < offsets; i += 3) {
    const keyAt = layout.entry(i);
    const valueAt = layout.entry(i + 1);
    const dropped =
      isStringTag(bytes[keyAt]!) &&
      replaced.has(reader.string(keyAt).toLowerCase()) &&
      isLeafTag(bytes[valueAt]!);
    if (dropped) continue;
    keep[i / 3] = 1;
    keptSize += layout.entry(i + 2) - keyAt;
  }
  const hasMap = layout.entriesStart >= 0;
  const prefixEnd = hasMap ? layout.entriesStart : layout.start;
  const tail = bytes.length - layout.end;
  const size = prefixEnd + (hasMap ? 0 : 1) + keptSize + entriesSize(mutation) + 1 + tail;
  const out = Buffer.allocUnsafe(size);
  let at = bytes.copy(out, 0, 0, prefixEnd);
  if (!hasMap) out[at++] = TAG_MAP_UNTYPED;
  // Copy kept entries in runs: adjacent entries are adjacent in the bytes.
  let runStart = -1;
  let runEnd = -1;
  for (let i = 0; i < offsets; i += 3) {
    if (keep[i / 3] === 0) continue;
    if (layout.entry(i) === runEnd) {
      runEnd = layout.entry(i + 2);
      continue;
    }
    if (runStart >= 0) at += bytes.copy(out, at, runStart, runEnd);
    runStart = layout.entry(i);
    runEnd = layout.entry(i + 2);
  }
  if (runStart >= 0) at += bytes.copy(out, at, runStart, runEnd);
  at = writeEntries(out, at, mutation);
  out[at++] = TAG_END;
  bytes.copy(out, at, layout.end);
  return out;
}

function upgradeResponse(bytes: Buffer, state: DubboMessageState, mutation: Mutation): Buffer {
  const rest = bytes.length - state.responseTypeEnd;
  const out = Buffer.allocUnsafe(HEADER_SIZE + 1 + rest + 1 + entriesSize(mutation) + 1);
  bytes.copy(out, 0, 0, HEADER_SIZE);
  out[HEADER_SIZE] = directInt(state.responseType + WITH_ATTACHMENTS_DELTA);
  let at = HEADER_SIZE + 1 + bytes.copy(out, HEADER_SIZE + 1, state.responseTypeEnd);
  out[at++] = TAG_MAP_UNTYPED;
  at = writeEntries(out, at, mutation);
  out[at] = TAG_END;
  return out;
}
