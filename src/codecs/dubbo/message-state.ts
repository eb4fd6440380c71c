/**
 * Where the attachments map of a message lies in its bytes, so that `encode` can rewrite it without
 * parsing the body again. Offsets are from the start of the frame.
 */
export class AttachmentsLayout {
  constructor(
    /** Offset of the attachments value; when the body has none, where it would go (the body's end). */
    readonly start: number,
    /** Offset just past the attachments value (= `start` when the body has none). */
    readonly end: number,
    /** Offset of the map's first entry (after its tag and type), or -1 when the value is absent or null. */
    readonly entriesStart: number,
    /**
     * For each entry, in order: offset of its key, of its value, and just past its value, each less
     * {@link entriesBase} (read them with {@link entry}). Layouts of the same map bytes at different
     * offsets share one array (see recent-attachments.ts).
     */
    readonly entries: readonly number[],
    /** What to add to each of {@link entries}. */
    readonly entriesBase = 0,
  ) {}

  /** Number of entries times 3. */
  get entryOffsets(): number {
    return this.entries.length;
  }

  /** The i-th offset of {@link entries}, from the start of the frame. */
  entry(i: number): number {
    return this.entriesBase + this.entries[i]!;
  }
}

/**
 * The codec state of a decoded Dubbo message (`Message.codecState`): its header flags and status, the
 * request's header fields (strings decoded from the body), and the layout `encode` needs.
 */
export class DubboMessageState {
  constructor(
    /** The header's flags byte (request, two-way, event, serialization id). */
    readonly flags: number,
    /** The header's status byte (meaningful for responses). */
    readonly status: number,
    /** Requests: the Dubbo protocol version of the body (e.g. `2.0.2`); '' otherwise. */
    readonly dubboVersion: string,
    /** Requests: the service path (the interface name); '' otherwise. */
    readonly serviceName: string,
    /** Requests: the service version field of the body; '' otherwise. */
    readonly serviceVersion: string,
    /** Requests: the method name; '' otherwise. */
    readonly methodName: string,
    /** Requests: the parameter-types descriptor (e.g. `Ljava/lang/String;`); '' otherwise. */
    readonly parameterTypes: string,
    /** Responses with status OK: the response type (0–5); -1 otherwise. */
    readonly responseType: number,
    /** Responses with status OK: offset just past the response type int; -1 otherwise. */
    readonly responseTypeEnd: number,
    /**
     * Requests and responses whose type carries attachments (3–5): where the attachments lie;
     * `undefined` for other messages.
     */
    readonly attachments: AttachmentsLayout | undefined,
  ) {}

  /** The state of a message whose body is not read: events, and responses with a non-OK status. */
  static headerOnly(flags: number, status: number): DubboMessageState {
    return new DubboMessageState(flags, status, '', '', '', '', '', -1, -1, undefined);
  }
}
