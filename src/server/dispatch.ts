/**
 * Dispatch: one binary message in (a packed one split), decoded, checked
 * (limits, draining, reserved `$` events, replies to the server's own
 * calls, streamed input), and handed to a plug run (`plug_run.ts`). Knows
 * nothing of Deno.serve, file watching or Redis; it talks to the runtime's
 * registry, plug source and hub only, and every frame it sends goes out
 * through the hub.
 *
 * @example
 * ```ts ignore
 * socket.onmessage = (e) => receive(runtime, connection, e.data);
 * ```
 * @module
 */

import { EventType } from "../protocol/event_type.ts";
import { CloseCode, ErrorCode } from "../protocol/errors.ts";
import { decodeFrame, type Frame, peekRequestId } from "../protocol/frame.ts";
import { isPacked, splitFrames } from "../protocol/pack.ts";
import { decodePayload, isServerCallId } from "../protocol/payload.ts";
import type { Connection } from "./connection.ts";
import { SocketMessage } from "./message.ts";
import { receiveReply } from "./outgoing.ts";
import type { Runtime } from "./runtime.ts";
import { AUTH_EVENT } from "../protocol/auth.ts";
import { ACK_EVENT } from "../protocol/recovery.ts";
import { reauthenticate } from "./auth.ts";
import { errorPayload, sendError } from "./error_frames.ts";
import { run } from "./plug_run.ts";

const DONE: Promise<void> = Promise.resolve();
const utf8 = new TextEncoder();

/**
 * Handles one WebSocket message from `client`. Never rejects: every failure
 * becomes an ERROR or NOT_FOUND frame to that client alone. Not an async
 * function on purpose: a message for a loaded plug goes straight to `run`,
 * without one more promise per message.
 */
export function receive(
  server: Runtime,
  client: Connection,
  data: ArrayBuffer | Uint8Array | string | Blob,
): Promise<void> {
  if (typeof data === "string") {
    if (server.metrics) {
      server.metrics.unmatched.received++;
      server.metrics.bytesReceived += utf8.encode(data).length;
    }
    sendError(server, client, "", {
      code: ErrorCode.TEXT_NOT_SUPPORTED,
      message: "Text messages are not supported; send binary frames",
    });
    return DONE;
  }
  if (data instanceof Blob) {
    return data.arrayBuffer().then((buffer) => receive(server, client, buffer));
  }
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const metrics = server.metrics;
  if (metrics) metrics.bytesReceived += bytes.length;
  // Checked on the received size, before anything is decoded. Only a
  // transport that cannot see sizes while receiving (Deno's) gets here with
  // one; the connection is closed like the ws transport closes it.
  if (bytes.length > server.config.payloadLimit) {
    if (metrics) metrics.unmatched.received++;
    const message =
      `Message of ${bytes.length} bytes exceeds payloadLimit ${server.config.payloadLimit}`;
    sendError(server, client, "", { code: ErrorCode.PAYLOAD_TOO_LARGE, message });
    server.counters.oversized++;
    client.drop(CloseCode.MESSAGE_TOO_BIG, "Message exceeds payloadLimit");
    return DONE;
  }
  if (client.packs && isPacked(bytes)) return receivePacked(server, client, bytes);
  return receiveFrame(server, client, bytes);
}

/**
 * A message of several frames from a client that negotiated
 * `ssocket.pack.v1`. The whole message has passed `payloadLimit`, so each
 * frame in it has too. Lengths that do not add up exactly mean the framing
 * is lost: no frame of it is run, the client gets ERROR `LENGTH_MISMATCH`
 * and the connection is closed with 1007.
 */
function receivePacked(server: Runtime, client: Connection, bytes: Uint8Array): Promise<void> {
  let frames: Uint8Array[];
  try {
    frames = splitFrames(bytes);
  } catch (err) {
    if (server.metrics) server.metrics.unmatched.received++;
    sendError(server, client, "", errorPayload(err));
    client.close(CloseCode.INVALID_PAYLOAD, "Packed frames do not add up to the message");
    return DONE;
  }
  let pending: Promise<void>[] | undefined;
  for (const frame of frames) {
    const done = receiveFrame(server, client, frame);
    if (done !== DONE) (pending ??= []).push(done);
  }
  return pending ? Promise.all(pending).then(() => {}) : DONE;
}

/** One frame: a cancel, or a request for a plug. Never rejects. */
function receiveFrame(server: Runtime, client: Connection, bytes: Uint8Array): Promise<void> {
  const metrics = server.metrics;
  let message: SocketMessage;
  try {
    const frame = decodeFrame(bytes);
    const id = frame.requestId;
    if (id !== undefined) {
      if (isServerCallId(id)) {
        // A reply to a call the server made; the client never starts calls in this half.
        receiveReply(client, frame, id);
        return DONE;
      }
      if (frame.type === EventType.INPUT) {
        input(server, client, frame, id);
        return DONE;
      }
      if (frame.end) {
        if (metrics) metrics.unmatched.received++;
        // A client's REQUEST|END frame cancels its call. The END echoed back
        // carries the TCP ACK at once: without it the server's delayed ACK
        // (40 ms) holds the client's next request behind Nagle.
        client.calls.cancel(id);
        server.hub.toConnection(client, EventType.MESSAGE, frame.event, undefined, id, true);
        return DONE;
      }
    }
    // Every request carries JSON (or bytes flagged binary), SYNC-typed ones
    // too: the server never asks a client for a delta (docs/PROTOCOL.md, "Requests").
    const payload = decodePayload(frame);
    message = new SocketMessage(bytes, frame.event, frame.type, payload, id, client.calls);
  } catch (err) {
    if (metrics) metrics.unmatched.received++;
    const requestId = peekRequestId(bytes);
    sendError(server, client, "", errorPayload(err), requestId);
    return DONE;
  }
  if (message.event === ACK_EVENT && client.session) {
    // Acknowledgements free the session's replay buffer; they get no answer, even while draining.
    server.sessions?.ack(client, message.payload);
    return DONE;
  }
  if (server.draining) {
    if (metrics) metrics.unmatched.received++;
    sendError(server, client, message.event, {
      code: ErrorCode.SHUTTING_DOWN,
      message: "The server is shutting down; send this again to another node or after a restart",
    }, message.requestId);
    return DONE;
  }
  if (message.event === AUTH_EVENT) return renewAuth(server, client, message);
  if (tooManyCalls(server, client, message)) return DONE;
  const plug = server.plugs.get(message.event);
  if (plug) return run(server, client, plug, message);
  // Input may arrive while a lazy plug loads: the call has to be known first.
  if (message.requestId !== undefined) client.calls.begin(message.requestId);
  return server.source.resolve(message.event).then((found) =>
    found ? run(server, client, found, message) : notFound(server, client, message)
  );
}

/**
 * True (and the request refused with ERROR TOO_MANY_CALLS) when `client`
 * already runs `limits.maxCallsPerConnection` plugs. Only new calls count:
 * cancels, INPUT frames and replies to the server's calls never get here.
 */
function tooManyCalls(server: Runtime, client: Connection, message: SocketMessage): boolean {
  const max = server.config.limits.maxCallsPerConnection;
  if (max === 0 || client.runningCalls < max) return false;
  if (server.metrics) server.metrics.unmatched.received++;
  server.counters.tooManyCalls++;
  sendError(server, client, message.event, {
    code: ErrorCode.TOO_MANY_CALLS,
    message: `At most ${max} calls may run at once`,
  }, message.requestId);
  return true;
}

/**
 * One INPUT frame: the next payload of a running call, or with END the end
 * of its input. Input over `inputBufferLimit` (or that is not JSON) ends the
 * call with an ERROR.
 */
function input(server: Runtime, client: Connection, frame: Frame, id: number): void {
  let value: unknown;
  const hasValue = frame.binary || frame.payload.length > 0;
  try {
    if (hasValue) value = decodePayload(frame);
  } catch (err) {
    if (client.calls.cancel(id)) sendError(server, client, frame.event, errorPayload(err), id);
    return;
  }
  if (client.calls.input(id, value, frame.payload.length, hasValue, frame.end)) return;
  client.calls.cancel(id);
  sendError(server, client, frame.event, {
    code: ErrorCode.INPUT_OVERFLOW,
    message:
      `Input not yet read by the plug exceeds inputBufferLimit ${server.config.inputBufferLimit}`,
  }, id);
}

function notFound(server: Runtime, client: Connection, message: SocketMessage): void {
  if (server.metrics) {
    server.metrics.unmatched.received++;
    server.metrics.error(ErrorCode.NOT_FOUND);
  }
  if (message.requestId !== undefined) client.calls.finish(message.requestId);
  server.hub.toConnection(
    client,
    EventType.NOT_FOUND,
    message.event,
    { code: ErrorCode.NOT_FOUND, message: `No plug answers event "${message.event}"` },
    message.requestId,
    message.requestId !== undefined,
  );
}

/** Answers a `$auth` frame: a fresh token moves the connection's expiry (see auth.ts). */
async function renewAuth(server: Runtime, client: Connection, message: SocketMessage) {
  if (server.metrics) server.metrics.event(AUTH_EVENT).received++;
  let exp;
  try {
    ({ exp } = await reauthenticate(server, client, message.payload));
  } catch (err) {
    sendError(server, client, message.event, errorPayload(err), message.requestId);
    return;
  }
  const requestId = message.requestId;
  server.hub.toConnection(client, EventType.AUTH, AUTH_EVENT, { exp }, requestId);
  if (requestId !== undefined) {
    server.hub.toConnection(client, EventType.MESSAGE, AUTH_EVENT, undefined, requestId, true);
  }
}
