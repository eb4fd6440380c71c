/**
 * A reply the declarative codec builds from a template: local replies, heartbeat replies and
 * heartbeat probes. The frame is the template's fixed bytes, then (local replies) the reply's
 * message as UTF-8; then the `set` fields are written, and the length and request id fields.
 */
import type { LocalReplyKind, RequestId } from '../../codec/index.js';
import type { WireField } from './wire-field.js';

/** What one `set` entry writes. */
export type FieldValue =
  | { readonly from: 'request' }
  | { readonly from: 'constant'; readonly value: number }
  | { readonly from: 'kind'; readonly byKind: ReadonlyMap<string, number>; readonly fallback: number };

export interface TemplateField {
  readonly field: WireField;
  readonly value: FieldValue;
}

export class ReplyTemplate {
  constructor(
    private readonly bytes: Buffer,
    private readonly withMessage: boolean,
    private readonly sets: readonly TemplateField[],
    private readonly lengthField: WireField,
    private readonly lengthAdjust: number,
    private readonly idField: WireField | undefined,
  ) {}

  /**
   * The reply to `request` (its frame; absent when there is none), with request id `id`, for local
   * reply `kind` with `message` (heartbeats pass neither).
   */
  build(
    request: Buffer | undefined,
    id: RequestId | undefined,
    kind: LocalReplyKind | undefined,
    message: string,
  ): Buffer {
    const text = this.withMessage ? Buffer.from(message, 'utf8') : undefined;
    const out = Buffer.allocUnsafe(this.bytes.length + (text?.length ?? 0));
    this.bytes.copy(out, 0);
    if (text !== undefined) text.copy(out, this.bytes.length);
    for (const { field, value } of this.sets) {
      if (value.from === 'request') {
        if (request !== undefined && request.length >= field.end) {
          request.copy(out, field.offset, field.offset, field.end);
        }
      } else if (value.from === 'constant') {
        field.write(out, value.value);
      } else {
        field.write(out, (kind === undefined ? undefined : value.byKind.get(kind)) ?? value.fallback);
      }
    }
    this.lengthField.write(out, out.length - this.lengthAdjust);
    if (id !== undefined && this.idField !== undefined && this.idField.fits(id)) this.idField.write(out, id);
    return out;
  }
}
