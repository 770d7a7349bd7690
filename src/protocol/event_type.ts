/**
 * Event types carried in the low bits of a frame's type byte. The numbers are
 * the original serverless-sockets ones, so its clients keep working.
 *
 * @example
 * ```ts
 * import { EventType } from "./event_type.ts";
 * const reply = { type: EventType.BROADCAST, payload: { hello: "everyone" } };
 * ```
 * @module
 */

/** The kind of a frame: what the receiver should do with it. */
export const EventType = {
  /** A reply to the caller (the default for a plug's `yield`). */
  MESSAGE: 0,
  /** Sent to every open connection. */
  BROADCAST: 1,
  /** Reserved for authentication exchanges. */
  AUTH: 2,
  /** A binary delta of a large object against the state the receiver holds. */
  SYNC: 3,
  /** The server could not handle a frame; the payload is `{ code, message }`. */
  ERROR: 4,
  /** No plug answers the event named in the frame. */
  NOT_FOUND: 5,
  /** Application-defined types. */
  CUSTOM_1: 6,
  CUSTOM_2: 7,
  CUSTOM_3: 8,
  CUSTOM_4: 9,
  CUSTOM_5: 10,
  /**
   * A further payload from the caller of a running call (`call.write`), with
   * the call's request id; flagged END it ends the input (`call.end()`).
   * Sent by callers only: a plug cannot yield it.
   */
  INPUT: 11,
} as const;

/** One of the numbers in {@linkcode EventType}. */
export type EventType = typeof EventType[keyof typeof EventType];

/** The largest event type number defined. Type bytes above it are rejected. */
export const MAX_EVENT_TYPE = EventType.INPUT;

/**
 * Bit set in the type byte when a u32 request id follows the event name.
 * Original clients never set it, so their frames decode exactly as before.
 */
export const FLAG_REQUEST = 0x80;

/** Bit set (with {@linkcode FLAG_REQUEST}) on the last frame of a call. */
export const FLAG_END = 0x40;

/**
 * Bit set in the type byte when the payload is raw bytes rather than UTF-8
 * JSON. Type numbers with this bit were rejected before it existed, so a
 * client that predates it reports a bad frame instead of parsing the bytes
 * as JSON.
 */
export const FLAG_BINARY = 0x20;

/** Mask selecting the event type from the type byte. */
export const TYPE_MASK = 0x1f;

/** Returns the name of an event type number, e.g. `"BROADCAST"` for 1. */
export function eventTypeName(type: number): string {
  for (const [name, value] of Object.entries(EventType)) {
    if (value === type) return name;
  }
  return `UNKNOWN(${type})`;
}
