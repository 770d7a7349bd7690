/**
 * Dispatch: one binary message in, a plug run, its yields out as frames.
 * Knows nothing of Deno.serve, file watching or Redis; it talks to the
 * runtime's registry, plug source and hub only, and every frame it sends
 * goes out through the hub.
 *
 * @example
 * ```ts ignore
 * socket.onmessage = (e) => receive(runtime, connection, e.data);
 * ```
 * @module
 */

import { EventType } from "../protocol/event_type.ts";
import { CloseCode, ErrorCode, ProtocolError } from "../protocol/errors.ts";
import { decodeFrame, type Frame, peekRequestId } from "../protocol/frame.ts";
import { isPacked, splitFrames } from "../protocol/pack.ts";
import { decodePayload, isServerCallId } from "../protocol/payload.ts";
import type { Plug, Yield } from "../plugs/types.ts";
import { concurrently } from "../plugs/concurrently.ts";
import { type PayloadIssue, SchemaError, validate } from "../plugs/schema.ts";
import type { Connection } from "./connection.ts";
import { legacyRun } from "./legacy_sync_streams.ts";
import { SocketMessage } from "./message.ts";
import { receiveReply } from "./outgoing.ts";
import type { Runtime } from "./runtime.ts";
import { requestStream } from "./sync_streams.ts";
import { AUTH_EVENT } from "../protocol/auth.ts";
import { ACK_EVENT } from "../protocol/recovery.ts";
import { reauthenticate } from "./auth.ts";
import { fields } from "../log.ts";

/** The payload of ERROR and NOT_FOUND frames. */
export interface ErrorPayload {
  /** A stable code from `ErrorCode`, or a plug's own `PlugError` code. */
  code: string;
  /** A sentence for people. */
  message: string;
  /** With `INVALID_PAYLOAD` and `INVALID_REPLY`: what the schema found wrong. */
  issues?: PayloadIssue[];
}

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
        client.cancel(id);
        server.hub.toConnection(client, EventType.MESSAGE, frame.event, undefined, id, true);
        return DONE;
      }
    }
    // Every request carries JSON (or bytes flagged binary), SYNC-typed ones
    // too: the server never asks a client for a delta (docs/PROTOCOL.md, "Requests").
    const payload = decodePayload(frame);
    message = new SocketMessage(bytes, frame.event, frame.type, payload, id, client);
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
  if (message.requestId !== undefined) client.begin(message.requestId);
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
    if (client.cancel(id)) sendError(server, client, frame.event, errorPayload(err), id);
    return;
  }
  if (client.input(id, value, frame.payload.length, hasValue, frame.end)) return;
  client.cancel(id);
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
  if (message.requestId !== undefined) client.finish(message.requestId);
  server.hub.toConnection(
    client,
    EventType.NOT_FOUND,
    message.event,
    { code: ErrorCode.NOT_FOUND, message: `No plug answers event "${message.event}"` },
    message.requestId,
    message.requestId !== undefined,
  );
}

/**
 * Runs every handler of `plug`, one after another in the plug's order or,
 * with `multiExport: "concurrent"`, side by side; then closes a correlated
 * call. Its duration is measured from here to the end of the last handler.
 */
async function run(server: Runtime, client: Connection, plug: Plug, message: SocketMessage) {
  const stats = server.metrics?.of(plug);
  const started = stats ? performance.now() : 0;
  if (stats) stats.received++;
  server.runStarted();
  client.runningCalls++;
  const handlers = plug.handlers.length > 1 && server.config.multiExport === "concurrent"
    ? [concurrently(plug.handlers)]
    : plug.handlers;
  const requestId = message.requestId;
  // From here to `finish`, INPUT and cancel frames of the call find it.
  if (requestId !== undefined) client.begin(requestId);
  try {
    const schema = plug.schema;
    if (schema && !(await applySchema(server, client, schema, message))) return;
    const replySchema = server.config.validateReplies ? schema?.reply : undefined;
    for (const handler of handlers) {
      if (requestId !== undefined && client.cancelledId(requestId)) return;
      let generator: AsyncIterable<Yield>;
      try {
        generator = handler(message, client.api);
      } catch (err) {
        return fail(server, client, message, err);
      }
      const iterator = generator as unknown as AsyncIterator<unknown>;
      client.track(iterator, message.requestId);
      // A legacy client syncs a copy of its request, as with serverless-sockets.
      const legacy = client.legacy ? legacyRun(message.raw) : undefined;
      try {
        const limit = server.config.backpressureLimit;
        const steps = server.config.plugTimeout > 0
          ? withStepTimeout(generator, server.config.plugTimeout)
          : generator;
        for await (const out of steps) {
          if (!client.isOpen || client.cancelled(iterator)) return;
          if (replySchema && isReply(out, message.event)) {
            await validate(replySchema, out.payload, ErrorCode.INVALID_REPLY, "Reply");
          }
          server.hub.routeYield(client, message.event, message.requestId, out, legacy);
          // Backpressure: the plug stays suspended at its yield until a slow
          // client has taken most of what is queued for it.
          if (limit > 0 && client.overLimit(limit)) await client.drained(limit);
        }
      } catch (err) {
        return fail(server, client, message, err);
      } finally {
        client.untrack(iterator, message.requestId);
      }
      if (client.cancelled(iterator)) return;
    }
    if (requestId !== undefined) {
      client.sync.forget(requestStream(requestId));
      server.hub.toConnection(client, EventType.MESSAGE, message.event, undefined, requestId, true);
    }
  } finally {
    server.runEnded();
    client.runningCalls--;
    if (stats) stats.observe((performance.now() - started) / 1000);
    if (requestId !== undefined) client.finish(requestId);
  }
}

/**
 * The plug's yields, failing with `PLUG_TIMEOUT` when one takes longer than
 * `ms`. The timed-out generator is asked to return; if it never reaches a
 * yield again it is simply abandoned, and the caller has its answer.
 */
async function* withStepTimeout(generator: AsyncIterable<Yield>, ms: number) {
  const iterator = generator[Symbol.asyncIterator]();
  try {
    while (true) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ProtocolError(ErrorCode.PLUG_TIMEOUT, `Plug gave no answer within ${ms} ms`),
            ),
          ms,
        );
      });
      const step = await Promise.race([iterator.next(), timeout]).finally(() =>
        clearTimeout(timer)
      );
      if (step.done) return;
      yield step.value;
    }
  } finally {
    iterator.return?.(undefined)?.catch?.(() => {});
  }
}

/**
 * Checks the payload against `schema.payload` (the validator's output becomes
 * the payload) and arms the check of each input. Returns false, having sent
 * ERROR `INVALID_PAYLOAD`, when the payload fails: the handler never runs.
 */
async function applySchema(
  server: Runtime,
  client: Connection,
  schema: NonNullable<Plug["schema"]>,
  message: SocketMessage,
): Promise<boolean> {
  const requestId = message.requestId;
  if (schema.input && requestId !== undefined) {
    const check = schema.input;
    client.inputOf(requestId).check = (value) =>
      validate(check, value, ErrorCode.INVALID_PAYLOAD, "Input");
  }
  if (!schema.payload) return true;
  try {
    const value = await validate(
      schema.payload,
      message.payload,
      ErrorCode.INVALID_PAYLOAD,
      "Payload",
    );
    (message as { payload: unknown }).payload = value;
    return true;
  } catch (err) {
    fail(server, client, message, err);
    return false;
  }
}

/** A yield that answers the caller under the request's own event: what `schema.reply` describes. */
function isReply(out: Yield, event: string): boolean {
  return out !== null && typeof out === "object" &&
    (out.type ?? EventType.MESSAGE) === EventType.MESSAGE && (out.event ?? event) === event;
}

function fail(server: Runtime, client: Connection, message: SocketMessage, err: unknown): void {
  if (message.requestId !== undefined) client.sync.forget(requestStream(message.requestId));
  const payload = err instanceof ProtocolError ? errorPayload(err) : plugErrorPayload(err);
  const where = fields({ event: message.event, connection: client.id, code: payload.code });
  // A payload that fails its schema is the caller's mistake, not the plug's.
  if (err instanceof SchemaError && err.code === ErrorCode.INVALID_PAYLOAD) {
    server.log.debug(`Plug "${message.event}": ${err.message}`, where);
  } else {
    server.log.error(`Plug "${message.event}" failed`, where, err);
  }
  sendError(server, client, message.event, payload, message.requestId);
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

/** Every ERROR frame goes out here, so each is counted by its code. */
function sendError(
  server: Runtime,
  client: Connection,
  event: string,
  payload: ErrorPayload,
  requestId?: number,
) {
  server.metrics?.error(payload.code);
  server.hub.toConnection(
    client,
    EventType.ERROR,
    event,
    payload,
    requestId,
    requestId !== undefined,
  );
}

function errorPayload(err: unknown): ErrorPayload {
  if (err instanceof SchemaError) {
    return { code: err.code, message: err.message, issues: err.issues };
  }
  if (err instanceof ProtocolError) return { code: err.code, message: err.message };
  return { code: ErrorCode.PLUG_ERROR, message: String(err) };
}

/** A thrown value with a string `code` (like `PlugError`) keeps its code. */
function plugErrorPayload(err: unknown): ErrorPayload {
  const code = (err as { code?: unknown })?.code;
  return {
    code: typeof code === "string" && code !== "" ? code : ErrorCode.PLUG_ERROR,
    message: err instanceof Error ? err.message : String(err),
  };
}
