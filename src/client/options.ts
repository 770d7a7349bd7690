/**
 * The client's options, connection events and URL handling.
 *
 * @example
 * ```ts
 * import { webSocketUrl } from "./options.ts";
 * console.log(webSocketUrl("https://example.com/")); // "wss://example.com/"
 * ```
 * @module
 */

import type { ReconnectOptions } from "./backoff.ts";
import type { SsocketError } from "../call/errors.ts";
import type { FrameInfo } from "./incoming.ts";
import type { ResetReason } from "../protocol/recovery.ts";

/** Where the connection is: it starts "connecting" and ends "closed". */
export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

/** What each connection event passes to its listeners. */
export interface ConnectionEvents {
  /** The socket opened; `reconnected` is false the first time. */
  open: { reconnected: boolean };
  /** The socket closed, with the WebSocket close code and reason. */
  close: { code: number; reason: string; willReconnect: boolean };
  /** A retry is scheduled after `delay` ms; `attempt` counts from 1. */
  reconnecting: { attempt: number; delay: number };
  /** An error outside any call: an ERROR frame for a `send`, a bad frame, a failed SYNC. */
  error: SsocketError;
  /**
   * After a drop, the server gave this connection back (recovery): same
   * `id`, rooms and data; the `missed` frames it replays follow, then calls
   * in flight carry on.
   */
  recovered: { id: string; missed: number };
  /**
   * The previous connection could not be resumed: a fresh one with a new
   * `id`. Calls in flight failed with `CONNECTION_LOST`, SYNC states start
   * over; join rooms again here. `reason` is the server's ("unknown": window
   * passed or server restarted; "overflow": too much was missed;
   * "refused"), or absent when the server had closed the connection.
   */
  reset: { id: string; reason?: ResetReason };
}

/** Hands a connection event to the client's `onConnection` listeners. */
export type EmitConnection = <K extends keyof ConnectionEvents>(
  kind: K,
  event: ConnectionEvents[K],
) => void;

/** Options of `SsocketClient`. */
export interface ClientOptions {
  /** Reconnect settings, or `false` to stay closed after a drop. Default on. */
  reconnect?: ReconnectOptions | boolean;
  /** Default call timeout in ms between replies (see `CallOptions`); 0 for none. Default 30 000. */
  timeout?: number;
  /** Fire-and-forget sends kept while offline and sent on reconnect. Default 0: dropped. */
  offlineBuffer?: number;
  /** Times a call is re-sent after its SYNC deltas fail their check. Default 3. */
  maxResyncs?: number;
  /**
   * More WebSocket subprotocols to offer, after ssocket's own (`ssocket.pack.v1`, `ssocket.v1`),
   * which the client always offers and an ssocket server always picks.
   */
  protocols?: string | string[];
  /**
   * A token sent with every (re)connect: in `Sec-WebSocket-Protocol` when it
   * is a valid subprotocol (JWTs are), else as the `token` query parameter.
   * A function is called again before each attempt, so expiring tokens
   * refresh; if it throws, the attempt counts as a failed connect.
   */
  auth?: string | (() => string | Promise<string>);
  /**
   * Missed-message recovery (default true): after a drop without a close
   * frame the client resumes its session, the server replays what it
   * missed, and `onConnection("recovered")` fires (or `"reset"`).
   */
  recovery?: boolean;
}

/** A listener for server events: the payload (or current SYNC state) and frame details. */
export type EventListener<T> = (payload: T, frame: FrameInfo) => void;

/** Turns `http(s):` and relative URLs into the matching `ws(s):` URL. */
export function webSocketUrl(url: string | URL): string {
  let base: string | undefined;
  try {
    base = globalThis.location?.href;
  } catch {
    // Deno without --location throws on access; only absolute URLs work there.
  }
  const resolved = new URL(url, base);
  if (resolved.protocol === "http:") resolved.protocol = "ws:";
  if (resolved.protocol === "https:") resolved.protocol = "wss:";
  return resolved.href;
}
