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
import { decodePayload, isServerCallId } from "../protocol/payload.ts";
import { splitFrames } from "../protocol/pack.ts";
import { SESSION_EVENT, type SessionInfo } from "../protocol/recovery.ts";
import type { Call } from "../call/call.ts";
import { ClientErrorCode, SsocketError } from "../call/errors.ts";
import { applyReply, badFrame, callErrorOf } from "../call/reply.ts";
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
  /** A frame of a call the server made to this client (`client.handle`). */
  serverCall(frame: Frame, requestId: number): void;
  /** A `$session` frame (recovery): which session this connection is. */
  session(info: SessionInfo): void;
  /** Called after each frame recovery numbers (all but `$session`), when it counts them. */
  numbered?(): void;
}

const DELTA_CODES: ReadonlySet<string> = new Set([
  ErrorCode.DELTA_MALFORMED,
  ErrorCode.DELTA_BASE_MISMATCH,
  ErrorCode.DELTA_CHECKSUM_MISMATCH,
]);

/**
 * Decodes one WebSocket message and delivers its frame, or with packing
 * (`packed`) each of its frames in order; never throws. A packed message
 * whose lengths do not add up is reported whole, unread. Every frame but a
 * `$session` frame is counted with `router.numbered` (recovery numbers them).
 */
export function handleFrame(data: unknown, router: FrameRouter, packed = false): void {
  if (!(data instanceof ArrayBuffer)) {
    router.error(new SsocketError(ClientErrorCode.BAD_FRAME, "Server sent a text message"));
    router.numbered?.();
    return;
  }
  const bytes = new Uint8Array(data);
  if (!packed) return handleBytes(bytes, router);
  let frames: Uint8Array[];
  try {
    frames = splitFrames(bytes);
  } catch (err) {
    router.error(badFrame(err));
    return;
  }
  for (const frame of frames) handleBytes(frame, router);
}

function handleBytes(bytes: Uint8Array, router: FrameRouter): void {
  let frame: Frame;
  try {
    frame = decodeFrame(bytes);
  } catch (err) {
    router.error(badFrame(err));
    router.numbered?.();
    return;
  }
  if (frame.requestId !== undefined) reply(frame, frame.requestId, router);
  else if (frame.event !== SESSION_EVENT) pushed(frame, router);
  else if (session(frame, router)) return;
  router.numbered?.();
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
  if (isServerCallId(requestId)) {
    router.serverCall(frame, requestId);
    return;
  }
  // Replies to a cancelled, timed-out or re-sent call have nowhere to go.
  const call = router.calls.get(requestId);
  if (!call) return;
  if (frame.type !== EventType.SYNC) {
    applyReply(call, frame);
    return;
  }
  if (frame.end) call.closedByPeer = true;
  try {
    call.push(router.sync.apply(requestStreamKey(requestId), frame.payload));
  } catch (err) {
    if (isDeltaError(err)) router.resync(call, err);
    else call.fail(badFrame(err));
    return;
  }
  if (frame.end) call.finish();
}

function pushed(frame: Frame, router: FrameRouter): void {
  if (frame.type === EventType.ERROR || frame.type === EventType.NOT_FOUND) {
    router.error(callErrorOf(frame, frame.event));
    return;
  }
  let payload: unknown;
  try {
    payload = frame.type === EventType.SYNC
      ? router.sync.apply(eventStreamKey(frame.event), frame.payload)
      : decodePayload(frame);
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

function isDeltaError(err: unknown): err is ProtocolError {
  return err instanceof ProtocolError && DELTA_CODES.has(err.code);
}
