/**
 * The WebSocket numbers the client's modules read, named once:
 * `readyState` values and the close code of a connection that ended without
 * a close frame; and how a close reads in the errors it causes.
 *
 * @example
 * ```ts
 * import { ABNORMAL_CLOSURE, closeMessage, WS_OPEN } from "./websocket.ts";
 * console.log(WS_OPEN, ABNORMAL_CLOSURE); // 1 1006
 * console.log(closeMessage(1001, "restart")); // "Connection closed (1001 restart)"
 * ```
 * @module
 */

/** `readyState` of an open socket. */
export const WS_OPEN = 1;
/** `readyState` of a closed socket. */
export const WS_CLOSED = 3;
/**
 * The close code of a connection that ended without a close frame. Deno
 * reports 0 for it and browsers 1006; the client reads both as 1006.
 */
export const ABNORMAL_CLOSURE = 1006;

/** How a close with `code` and `reason` reads in the errors of what it ended. */
export function closeMessage(code: number, reason: string): string {
  return `Connection closed (${code}${reason ? ` ${reason}` : ""})`;
}
