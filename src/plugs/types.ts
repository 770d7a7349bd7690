/**
 * The shapes plug authors write against.
 *
 * @example
 * ```ts
 * import type { PlugHandler } from "./types.ts";
 * export const echo: PlugHandler = async function* (message) {
 *   yield { payload: message.payload };
 * };
 * ```
 * @module
 */

import type { EventType } from "../protocol/event_type.ts";
import type { PlugSchema } from "./schema.ts";

/**
 * What a plug yields. Each yield becomes one frame: `MESSAGE` (default) goes
 * to the caller, `BROADCAST` to every connection (or the members of `room`),
 * `SYNC` sends a delta of `payload` against what the caller already holds.
 */
export interface Yield<P = unknown> {
  /** Event name of the frame; defaults to the request's event. */
  event?: string;
  /** Event type of the frame; defaults to `EventType.MESSAGE`. */
  type?: EventType;
  /** With `type: EventType.BROADCAST`: only the members of this room, on every node. */
  room?: string;
  /** The JSON-serializable payload, or a `Uint8Array` sent as raw bytes (binary frame). */
  payload: P;
}

/**
 * A plug: an async generator function exported from a file in the plugs
 * folder, called once per message for its event.
 */
// deno-lint-ignore no-explicit-any
export type PlugHandler<M = any, C = any> = (
  message: M,
  client: C,
) => AsyncIterable<Yield> | AsyncGenerator<Yield, unknown, unknown>;

/** One loaded plug file: its handlers and where they came from. */
export interface Plug {
  /** Event name (path inside the plugs folder without extension). */
  readonly event: string;
  /** Absolute path of the file. */
  readonly file: string;
  /** Hash of the file's bytes; the same content is never imported twice. */
  readonly hash: string;
  /**
   * Exported handlers in alphabetical order of export name (a module
   * namespace's order, not the source's); each runs for every message.
   */
  readonly handlers: readonly PlugHandler[];
  /** The file's `schema` export: payloads are checked against it before a handler runs. */
  readonly schema?: PlugSchema;
}
