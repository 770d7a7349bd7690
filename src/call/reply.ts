/**
 * Applies a reply frame to the call it answers: a payload (JSON, or a
 * `Uint8Array` view for a binary frame) is pushed, ERROR and NOT_FOUND fail
 * the call with a {@linkcode CallError}, END finishes it. Both ends use it:
 * the client for the replies to its calls, the server for what a client
 * answers to a plug's `client.call()`.
 *
 * @example
 * ```ts
 * import { Call } from "./call.ts";
 * import { applyReply } from "./reply.ts";
 * import { EventType } from "../protocol/event_type.ts";
 * import { decodeFrame, encodeJsonFrame } from "../protocol/frame.ts";
 * const call = new Call({ detach() {} }, "echo", undefined, 1, 0);
 * applyReply(call, decodeFrame(encodeJsonFrame(EventType.MESSAGE, "echo", { hi: 1 }, 1, true)));
 * console.log(await call.all()); // [ { hi: 1 } ]
 * ```
 * @module
 */

import { EventType } from "../protocol/event_type.ts";
import { ErrorCode, ProtocolError } from "../protocol/errors.ts";
import { decodeJsonPayload, type Frame } from "../protocol/frame.ts";
import { decodePayload } from "../protocol/payload.ts";
import type { Call } from "./call.ts";
import {
  CallError,
  ClientErrorCode,
  NotFoundError,
  type PayloadIssue,
  SsocketError,
} from "./errors.ts";

/**
 * Delivers a reply frame (not SYNC) to its call: a payload (JSON, or a
 * `Uint8Array` view for a binary frame), an ERROR or NOT_FOUND as a
 * {@linkcode CallError}, END as the end. The server uses it for the replies
 * to its own calls.
 */
export function applyReply(call: Call<unknown>, frame: Frame): void {
  if (frame.end) call.closedByPeer = true;
  if (frame.type === EventType.ERROR || frame.type === EventType.NOT_FOUND) {
    call.fail(callErrorOf(frame, call.event));
    return;
  }
  if (frame.binary || frame.payload.length > 0) {
    try {
      call.push(decodePayload(frame));
    } catch (err) {
      call.fail(badFrame(err));
      return;
    }
  }
  if (frame.end) call.finish();
}

/** The error an ERROR or NOT_FOUND frame stands for. */
export function callErrorOf(frame: Frame, event: string): CallError {
  let body: { code?: unknown; message?: unknown; issues?: unknown } = {};
  try {
    body = (decodeJsonPayload(frame) ?? {}) as typeof body;
  } catch {
    // A garbled error body still fails the call, with a generic message.
  }
  const message = typeof body.message === "string" ? body.message : "The server sent an error";
  if (frame.type === EventType.NOT_FOUND) return new NotFoundError(message, event);
  const code = typeof body.code === "string" ? body.code : ErrorCode.PLUG_ERROR;
  const issues = Array.isArray(body.issues) ? body.issues as PayloadIssue[] : undefined;
  return new CallError(code, message, event, issues);
}

/** A frame that could not be read, as an error with the decoder's code (`BAD_FRAME` without one). */
export function badFrame(err: unknown): SsocketError {
  const code = err instanceof ProtocolError ? err.code : ClientErrorCode.BAD_FRAME;
  return new SsocketError(code, `Bad frame from the server: ${(err as Error).message}`, {
    cause: err,
  });
}
