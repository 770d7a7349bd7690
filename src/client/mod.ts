/**
 * The ssocket client for browsers and Deno: one ES module with no
 * Deno-only APIs. The server serves it bundled at `/ssocket.js`.
 *
 * - `call(event, payload)`: correlated replies, `for await` or `first()` / `all()`
 * - `send(event, payload)`: fire and forget
 * - `on(event, fn)`: BROADCASTs, pushes and SYNC streams (whole objects)
 * - `on("$presence", fn)`: who joins and leaves the rooms this client is in,
 *   typed as {@linkcode PresenceChange} whatever the event map
 * - `handle(event, fn)`: answer calls the server makes to this client
 * - `call.write(payload)` / `call.end()`: stream input into a running plug
 * - `Uint8Array` payloads travel as raw bytes, both ways
 * - `onConnection("open" | "close" | "reconnecting" | "error", fn)`
 * - automatic reconnect with exponential backoff and jitter
 *
 * @example
 * ```ts ignore
 * import { connect } from "/ssocket.js"; // in a page served by ssocket
 * const client = await connect("/");
 * for await (const reply of client.call("stream", { count: 3 })) console.log(reply);
 * client.on("chat/message", (line) => console.log(line));
 * client.on("$presence", ({ room, joined, left }) => console.log(room, joined, left));
 * await client.call("chat/join", { name: "ada", room: "lobby" }).first();
 * client.send("chat/send", { text: "hello" });
 * ```
 * @module
 */

import { SsocketClient } from "./client.ts";
import type { ClientOptions } from "./options.ts";
import type { EventMap, UnknownEvents } from "./types.ts";

export {
  type ClientOptions,
  type ConnectionEvents,
  type ConnectionState,
  type EventListener,
} from "./options.ts";
export { SsocketClient } from "./client.ts";
export { Call, type CallOptions } from "../call/call.ts";
export {
  CallError,
  ClientErrorCode,
  ConnectionError,
  NotFoundError,
  type PayloadIssue,
  SsocketError,
  TimeoutError,
} from "../call/errors.ts";
export type { CallHandler, HandlerContext } from "./handlers.ts";
export { backoffDelay, DEFAULT_RECONNECT, type ReconnectOptions } from "./backoff.ts";
export type { FrameInfo } from "./incoming.ts";
export type {
  EventMap,
  EventName,
  EventSpec,
  InputOf,
  Member,
  PayloadOf,
  PlugEvent,
  PresenceChange,
  ReplyOf,
  RuntimeEvents,
  UnknownEvents,
  WithRuntimeEvents,
} from "./types.ts";
export { EventType } from "../protocol/event_type.ts";
export { ErrorCode } from "../protocol/errors.ts";

/**
 * Connects to an ssocket server and resolves once the connection is open.
 * With reconnect on (the default) it keeps retrying until it opens; pass
 * `reconnect: false` to fail on the first refusal instead.
 *
 * @param url the server's `ws(s):` or `http(s):` URL; in a page, `"/"` means this server
 * @param options see {@linkcode ClientOptions}
 * @returns the open client
 * @throws {ConnectionError} `NOT_CONNECTED` if it closes before opening (reconnect off)
 *
 * @example
 * ```ts ignore
 * const client = await connect("ws://localhost:8080/", { timeout: 5_000 });
 * ```
 */
export async function connect<Events extends EventMap = UnknownEvents>(
  url: string | URL,
  options?: ClientOptions,
): Promise<SsocketClient<Events>> {
  const client = new SsocketClient<Events>(url, options);
  try {
    await client.ready();
  } catch (err) {
    await client.close();
    throw err;
  }
  return client;
}
