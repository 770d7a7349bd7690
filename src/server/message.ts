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
}
