/**
 * Error codes the server and client agree on. An ERROR frame's payload is
 * `{ code, message }` with `code` from {@linkcode ErrorCode}; codes are stable
 * strings a client can branch on, messages are for people.
 *
 * @example
 * ```ts
 * import { ErrorCode, ProtocolError } from "./errors.ts";
 * const err = new ProtocolError(ErrorCode.FRAME_TOO_SHORT, "Frame has 3 bytes, needs at least 6");
 * console.log(err.code); // "FRAME_TOO_SHORT"
 * ```
 * @module
 */

/** Stable error codes sent in ERROR frames and thrown by the codecs. */
export const ErrorCode = {
  /** The binary message is shorter than the fixed header. */
  FRAME_TOO_SHORT: "FRAME_TOO_SHORT",
  /** The u32 length field does not equal the message's real size (packed: the lengths do not add up). */
  LENGTH_MISMATCH: "LENGTH_MISMATCH",
  /** The event name (or request id) runs past the end of the message. */
  EVENT_NAME_OVERFLOW: "EVENT_NAME_OVERFLOW",
  /** The event name is not valid UTF-8. */
  INVALID_UTF8: "INVALID_UTF8",
  /** The payload is not valid UTF-8 JSON. */
  INVALID_JSON: "INVALID_JSON",
  /** The type byte names no known event type or uses reserved flags. */
  INVALID_EVENT_TYPE: "INVALID_EVENT_TYPE",
  /** A text WebSocket message was received; the protocol is binary. */
  TEXT_NOT_SUPPORTED: "TEXT_NOT_SUPPORTED",
  /** An empty WebSocket message was received. */
  EMPTY_MESSAGE: "EMPTY_MESSAGE",
  /** The message is larger than the server's `payloadLimit`. */
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  /** The connection sends frames faster than `limits.messagesPerSecond` allows. */
  RATE_LIMITED: "RATE_LIMITED",
  /** The connection already runs `limits.maxCallsPerConnection` calls. */
  TOO_MANY_CALLS: "TOO_MANY_CALLS",
  /** No plug answers the event (sent in a NOT_FOUND frame). */
  NOT_FOUND: "NOT_FOUND",
  /** The plug threw while handling the message. */
  PLUG_ERROR: "PLUG_ERROR",
  /** The plug took longer than `plugTimeout` to yield or finish. */
  PLUG_TIMEOUT: "PLUG_TIMEOUT",
  /** The plug host running the call was stopped (a hung or crashed plug) before the call ended. */
  PLUG_CRASHED: "PLUG_CRASHED",
  /** The plug used a permission its Worker was not given (`isolation.allow*`). */
  PERMISSION_DENIED: "PERMISSION_DENIED",
  /** The plug yielded something that cannot be sent. */
  INVALID_YIELD: "INVALID_YIELD",
  /** A value cannot be encoded into a frame (name too long, frame too big). */
  ENCODE_ERROR: "ENCODE_ERROR",
  /** A `$auth` frame's token was refused: invalid, expired, for another subject, or no `auth.jwtSecret`. */
  AUTH_FAILED: "AUTH_FAILED",
  /** The server is draining (SIGTERM): running calls finish, new messages are not run. */
  SHUTTING_DOWN: "SHUTTING_DOWN",
  /** A room name is not a string of 1 to 256 UTF-8 bytes (`client.join`, `leave`, a room yield). */
  INVALID_ROOM: "INVALID_ROOM",
  /** Room meta has no JSON form or is over 4 KiB of JSON (`client.join(room, meta)`). */
  INVALID_META: "INVALID_META",
  /** Input streamed into a call (`call.write`) went over `inputBufferLimit` unread bytes. */
  INPUT_OVERFLOW: "INPUT_OVERFLOW",
  /** A payload or streamed input failed the plug's schema; the ERROR lists the `issues`. */
  INVALID_PAYLOAD: "INVALID_PAYLOAD",
  /** With `validateReplies` on, a reply failed the plug's `schema.reply`; the ERROR lists the `issues`. */
  INVALID_REPLY: "INVALID_REPLY",
  /** A client's handler of a call from the server threw an error without a code of its own. */
  HANDLER_ERROR: "HANDLER_ERROR",
  /** A SYNC delta is malformed. */
  DELTA_MALFORMED: "DELTA_MALFORMED",
  /** A SYNC delta was applied to a base of the wrong length. */
  DELTA_BASE_MISMATCH: "DELTA_BASE_MISMATCH",
  /** The state rebuilt from a SYNC delta fails its checksum. */
  DELTA_CHECKSUM_MISMATCH: "DELTA_CHECKSUM_MISMATCH",
} as const;

/** One of the strings in {@linkcode ErrorCode}. */
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];

/** WebSocket close codes the server uses. */
export const CloseCode = {
  /** Normal closure. */
  NORMAL: 1000,
  /** The server is shutting down. */
  GOING_AWAY: 1001,
  /** A message of a kind the server cannot accept. */
  UNSUPPORTED_DATA: 1003,
  /** A message whose data is inconsistent with its type. */
  INVALID_PAYLOAD: 1007,
  /** The client keeps sending faster than `limits.messagesPerSecond`. */
  POLICY_VIOLATION: 1008,
  /** A message too big to process. */
  MESSAGE_TOO_BIG: 1009,
  /** The server hit an unexpected condition. */
  INTERNAL_ERROR: 1011,
  /** The client does not read what is queued for it (`limits.maxBufferedBytes`). */
  TRY_AGAIN_LATER: 1013,
  /** The connection's token expired and no `$auth` frame renewed it. */
  TOKEN_EXPIRED: 4001,
  /** A newer connection resumed this connection's session (see recovery in docs/PROTOCOL.md). */
  SESSION_RESUMED: 4002,
} as const;

/**
 * An error with a stable {@linkcode ErrorCode}, raised by the pure codecs
 * on hostile or inconsistent input. Dispatch maps it to an ERROR frame.
 */
export class ProtocolError extends Error {
  /** The machine-readable code. */
  readonly code: ErrorCode;

  /**
   * @param code the stable code a client can act on
   * @param message a sentence for people, without trailing period
   */
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
  }
}

/**
 * An error a plug throws on purpose, with a code of its own choosing that the
 * client receives in the ERROR frame (instead of the generic `PLUG_ERROR`).
 *
 * @example
 * ```ts
 * import { PlugError } from "./errors.ts";
 * export async function* join(message: { payload: { room?: string } }) {
 *   if (!message.payload.room) throw new PlugError("ROOM_REQUIRED", "Say which room to join");
 *   yield { payload: { joined: message.payload.room } };
 * }
 * ```
 */
export class PlugError extends Error {
  /** The code sent to the client. */
  readonly code: string;

  /**
   * @param code a stable code the client can branch on
   * @param message a sentence for people
   */
  constructor(code: string, message: string) {
    super(message);
    this.name = "PlugError";
    this.code = code;
  }
}
