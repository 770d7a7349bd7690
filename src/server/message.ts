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

/** One incoming frame as a plug sees it (the original `SocketMessage` shape). */
export class SocketMessage<P = unknown> {
  /**
   * @param raw the whole frame as received
   * @param event the event name
   * @param eventType the event type (flags removed)
   * @param payload the parsed JSON payload (`undefined` when empty)
   * @param requestId the request id of a correlated call
   */
  constructor(
    readonly raw: Uint8Array,
    readonly event: string,
    readonly eventType: number,
    readonly payload: P,
    readonly requestId?: number,
  ) {}
}
