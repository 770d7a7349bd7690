/**
 * The message a plug receives: the decoded frame plus its parsed payload.
 *
 * @example
 * ```ts
 * import { SocketMessage } from "./message.ts";
 * const m = new SocketMessage(new Uint8Array(), "echo", 0, { hi: 1 });
 * console.log(m.event, m.payload); // "echo" { hi: 1 }
 * ```
 * @module
 */

import { EventType } from "../protocol/event_type.ts";
import { decodeFrame, decodeJsonPayload, encodeJsonFrame, utf8Length } from "../protocol/frame.ts";

/** Where a message finds the input streamed into its call. */
export interface InputSource {
  /** The input of call `requestId`. */
  inputOf(requestId: number): AsyncIterable<unknown>;
}

const NO_INPUT: AsyncIterable<never> = {
  [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ value: undefined, done: true }) }),
};

/**
 * One incoming frame as a plug sees it (the original `SocketMessage` shape).
 *
 * @typeParam P the payload: parsed JSON, or a `Uint8Array` for a binary frame
 * @typeParam I what the caller streams in with `call.write()` (`input`)
 */
export class SocketMessage<P = unknown, I = unknown> {
  readonly #inputs?: InputSource;

  /**
   * @param raw the whole frame as received
   * @param event the event name
   * @param eventType the event type (flags removed)
   * @param payload the parsed JSON payload (`undefined` when empty), or the
   *   bytes (a view into `raw`, not a copy) of a binary frame
   * @param requestId the request id of a correlated call
   * @param inputs where `input` comes from
   */
  constructor(
    readonly raw: Uint8Array,
    readonly event: string,
    readonly eventType: number,
    readonly payload: P,
    readonly requestId?: number,
    inputs?: InputSource,
  ) {
    this.#inputs = inputs;
  }

  /**
   * The further payloads the caller writes into this call (`call.write()` in
   * the client), in order, ending at the client's `call.end()`, a cancel or
   * a disconnect. Empty for a message that is not a call. Input the plug has
   * not read counts against `inputBufferLimit`; past it the call fails with
   * ERROR `INPUT_OVERFLOW`.
   *
   * @example
   * ```ts ignore
   * export async function* typing(message: SocketMessage<{ room: string }, string>) {
   *   for await (const draft of message.input) yield { payload: draft.length };
   * }
   * ```
   */
  get input(): AsyncIterable<I> {
    if (this.requestId === undefined || !this.#inputs) return NO_INPUT;
    return this.#inputs.inputOf(this.requestId) as AsyncIterable<I>;
  }

  /**
   * Size of the whole frame in bytes, as serverless-sockets read it from the header.
   *
   * @deprecated Use `message.raw.length`.
   */
  get sizeOfMessage(): number {
    return this.raw.length;
  }

  /**
   * Size of the event name in UTF-8 bytes.
   *
   * @deprecated Use `new TextEncoder().encode(message.event).length`.
   */
  get sizeOfEvent(): number {
    return utf8Length(this.event);
  }

  /**
   * Encodes `{ event, type?, payload }` as a frame without request id.
   *
   * @deprecated Use `encodeJsonFrame(type, event, payload)`.
   * @example
   * ```ts
   * import { SocketMessage } from "./message.ts";
   * const bytes = SocketMessage.encode({ event: "echo", payload: { hi: 1 } });
   * console.log(SocketMessage.decode(bytes).payload); // { hi: 1 }
   * ```
   */
  static encode(data: { event?: string; type?: number; payload?: unknown }): Uint8Array {
    return encodeJsonFrame(data.type ?? EventType.MESSAGE, data.event ?? "", data.payload);
  }

  /**
   * Decodes a whole frame, its JSON payload parsed.
   *
   * @deprecated Use `decodeFrame(bytes)` and `decodeJsonPayload(frame)`.
   * @throws {ProtocolError} for a malformed frame or payload
   */
  static decode<P = unknown>(bytes: Uint8Array): SocketMessage<P> {
    const frame = decodeFrame(bytes);
    const payload = decodeJsonPayload(frame) as P;
    return new SocketMessage(bytes, frame.event, frame.type, payload, frame.requestId);
  }

  /** @deprecated Use `decodeFrame(bytes)` and `decodeJsonPayload(frame)`. */
  static fromRaw<P = unknown>(bytes: Uint8Array): SocketMessage<P> {
    return SocketMessage.decode<P>(bytes);
  }

  /** @deprecated Use `decodeFrame(new Uint8Array(buffer))` and `decodeJsonPayload(frame)`. */
  static fromBuffer<P = unknown>(buffer: ArrayBufferLike): SocketMessage<P> {
    return SocketMessage.decode<P>(new Uint8Array(buffer));
  }
}
