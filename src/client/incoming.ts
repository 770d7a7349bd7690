/**
 * Routes one frame from the server: replies (frames with a request id) to
 * their call, everything else to listeners; SYNC payloads through the
 * stream's state; ERROR and NOT_FOUND to rejections or the error listeners.
 *
 * @example
 * ```ts ignore
 * socket.onmessage = (event) => handleFrame(event.data, router);
 * ```
 * @module
 */

import { EventType } from "../protocol/event_type.ts";
import { ErrorCode, ProtocolError } from "../protocol/errors.ts";
import { decodeFrame, decodeJsonPayload, type Frame } from "../protocol/frame.ts";
import { SESSION_EVENT, type SessionInfo } from "../protocol/recovery.ts";
import type { Call } from "./call.ts";
import { CallError, ClientErrorCode, NotFoundError, SsocketError } from "./errors.ts";
import { eventStreamKey, requestStreamKey, type SyncState } from "./sync_state.ts";

/** What listeners learn about the frame a payload came in. */
export interface FrameInfo {
  /** The event name of the frame. */
  event: string;
  /** Its event type (`EventType`), e.g. 1 for a BROADCAST, 3 for SYNC. */
  type: number;
}

/** Where {@linkcode handleFrame} delivers what it decodes. */
export interface FrameRouter {
  /** Calls in flight by request id. */
  calls: ReadonlyMap<number, Call<unknown>>;
  /** The connection's SYNC states. */
  sync: SyncState;
  /** Hands a non-reply frame's payload to the listeners of its event. */
  emit(event: string, payload: unknown, info: FrameInfo): void;
  /** Reports an error that belongs to no call. */
  error(error: SsocketError): void;
  /** A call's SYNC delta failed its check: send the call again. */
  resync(call: Call<unknown>, cause: ProtocolError): void;
  /** A `$session` frame (recovery): which session this connection is. */
  session(info: SessionInfo): void;
}

const DELTA_CODES: ReadonlySet<string> = new Set([
  ErrorCode.DELTA_MALFORMED,
  ErrorCode.DELTA_BASE_MISMATCH,
  ErrorCode.DELTA_CHECKSUM_MISMATCH,
]);

/**
 * Decodes one WebSocket message and delivers it; never throws.
 *
 * @returns false for a `$session` frame, the one frame recovery does not number
 */
export function handleFrame(data: unknown, router: FrameRouter): boolean {
  if (!(data instanceof ArrayBuffer)) {
    router.error(new SsocketError(ClientErrorCode.BAD_FRAME, "Server sent a text message"));
    return true;
  }
  let frame: Frame;
  try {
    frame = decodeFrame(new Uint8Array(data));
  } catch (err) {
    router.error(badFrame(err));
    return true;
  }
  if (frame.requestId !== undefined) reply(frame, frame.requestId, router);
  else if (frame.event !== SESSION_EVENT) pushed(frame, router);
  else return !session(frame, router);
  return true;
}

/** Hands a `$session` frame's payload over; true if it was one. */
function session(frame: Frame, router: FrameRouter): boolean {
  let info: SessionInfo;
  try {
    info = decodeJsonPayload(frame) as SessionInfo;
  } catch (err) {
    router.error(badFrame(err));
    return false;
  }
  router.session(info);
  return true;
}

function reply(frame: Frame, requestId: number, router: FrameRouter): void {
  // Replies to a cancelled, timed-out or re-sent call have nowhere to go.
  const call = router.calls.get(requestId);
  if (!call) return;
  if (frame.end) call.closedByServer = true;
  if (frame.type === EventType.ERROR || frame.type === EventType.NOT_FOUND) {
    call.fail(errorOf(frame, call.event));
    return;
  }
  if (frame.type === EventType.SYNC) {
    try {
      call.push(router.sync.apply(requestStreamKey(requestId), frame.payload));
    } catch (err) {
      if (isDeltaError(err)) router.resync(call, err);
      else call.fail(badFrame(err));
      return;
    }
  } else if (frame.payload.length > 0) {
    try {
      call.push(decodeJsonPayload(frame));
    } catch (err) {
      call.fail(badFrame(err));
      return;
    }
  }
  if (frame.end) call.end();
}

function pushed(frame: Frame, router: FrameRouter): void {
  if (frame.type === EventType.ERROR || frame.type === EventType.NOT_FOUND) {
    router.error(errorOf(frame, frame.event));
    return;
  }
  let payload: unknown;
  try {
    payload = frame.type === EventType.SYNC
      ? router.sync.apply(eventStreamKey(frame.event), frame.payload)
      : decodeJsonPayload(frame);
  } catch (err) {
    // A plain stream has no call to re-send: its state is dropped, and it
    // recovers at the next full state (the server sends one when its stream
    // starts, e.g. after a reconnect).
    router.error(
      isDeltaError(err)
        ? new SsocketError(
          ClientErrorCode.SYNC_FAILED,
          `SYNC stream "${frame.event}" failed its check; waiting for a full state`,
          { cause: err },
        )
        : badFrame(err),
    );
    return;
  }
  router.emit(frame.event, payload, { event: frame.event, type: frame.type });
}

/** The error an ERROR or NOT_FOUND frame stands for. */
function errorOf(frame: Frame, event: string): CallError {
  let body: { code?: unknown; message?: unknown } = {};
  try {
    body = (decodeJsonPayload(frame) ?? {}) as typeof body;
  } catch {
    // A garbled error body still fails the call, with a generic message.
  }
  const message = typeof body.message === "string" ? body.message : "The server sent an error";
  if (frame.type === EventType.NOT_FOUND) return new NotFoundError(message, event);
  const code = typeof body.code === "string" ? body.code : ErrorCode.PLUG_ERROR;
  return new CallError(code, message, event);
}

function isDeltaError(err: unknown): err is ProtocolError {
  return err instanceof ProtocolError && DELTA_CODES.has(err.code);
}

function badFrame(err: unknown): SsocketError {
  const code = err instanceof ProtocolError ? err.code : ClientErrorCode.BAD_FRAME;
  return new SsocketError(code, `Bad frame from the server: ${(err as Error).message}`, {
    cause: err,
  });
}
