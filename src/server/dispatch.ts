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
import { ErrorCode, ProtocolError } from "../protocol/errors.ts";
import { decodeFrame, decodeJsonPayload, peekRequestId } from "../protocol/frame.ts";
import type { Plug, Yield } from "../plugs/types.ts";
import { concurrently } from "../plugs/concurrently.ts";
import type { Connection } from "./connection.ts";
import { legacyRun } from "./legacy_sync_streams.ts";
import { SocketMessage } from "./message.ts";
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
  // Checked on the received size, before anything is decoded.
  if (bytes.length > server.config.payloadLimit) {
    if (metrics) metrics.unmatched.received++;
    sendError(server, client, "", {
      code: ErrorCode.PAYLOAD_TOO_LARGE,
      message:
        `Message of ${bytes.length} bytes exceeds payloadLimit ${server.config.payloadLimit}`,
    });
    return DONE;
  }
  let message: SocketMessage;
  try {
    const frame = decodeFrame(bytes);
    if (frame.end) {
      if (metrics) metrics.unmatched.received++;
      // A client's REQUEST|END frame cancels its call. The END echoed back
      // carries the TCP ACK at once: without it the server's delayed ACK
      // (40 ms) holds the client's next request behind Nagle.
      client.cancel(frame.requestId!);
      server.hub.toConnection(
        client,
        EventType.MESSAGE,
        frame.event,
        undefined,
        frame.requestId,
        true,
      );
      return DONE;
    }
    // Every request carries JSON, SYNC-typed ones too: the server never asks
    // a client for a delta (docs/PROTOCOL.md, "Requests").
    const payload = decodeJsonPayload(frame);
    message = new SocketMessage(bytes, frame.event, frame.type, payload, frame.requestId);
  } catch (err) {
    if (metrics) metrics.unmatched.received++;
    const requestId = peekRequestId(bytes);
    sendError(server, client, "", errorPayload(err), requestId);
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
  const plug = server.plugs.get(message.event);
  if (plug) return run(server, client, plug, message);
  if (message.event === AUTH_EVENT) return renewAuth(server, client, message);
  if (message.event === ACK_EVENT && client.session) {
    // Acknowledgements free the session's replay buffer; they get no answer.
    server.sessions?.ack(client, message.payload);
    return DONE;
  }
  return server.source.resolve(message.event).then((found) =>
    found ? run(server, client, found, message) : notFound(server, client, message)
  );
}

function notFound(server: Runtime, client: Connection, message: SocketMessage): void {
  if (server.metrics) {
    server.metrics.unmatched.received++;
    server.metrics.error(ErrorCode.NOT_FOUND);
  }
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
  const handlers = plug.handlers.length > 1 && server.config.multiExport === "concurrent"
    ? [concurrently(plug.handlers)]
    : plug.handlers;
  try {
    for (const handler of handlers) {
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
          server.hub.routeYield(client, message.event, message.requestId, out, legacy);
          // Backpressure: the plug stays suspended at its yield until a slow
          // client has taken most of what is queued for it.
          if (limit > 0 && client.bufferedAmount > limit) await client.drained(limit);
        }
      } catch (err) {
        return fail(server, client, message, err);
      } finally {
        client.untrack(iterator, message.requestId);
      }
      if (client.cancelled(iterator)) return;
    }
    const requestId = message.requestId;
    if (requestId !== undefined) {
      client.sync.forget(requestStream(requestId));
      server.hub.toConnection(client, EventType.MESSAGE, message.event, undefined, requestId, true);
    }
  } finally {
    server.runEnded();
    if (stats) stats.observe((performance.now() - started) / 1000);
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

function fail(server: Runtime, client: Connection, message: SocketMessage, err: unknown): void {
  if (message.requestId !== undefined) client.sync.forget(requestStream(message.requestId));
  const payload = err instanceof ProtocolError ? errorPayload(err) : plugErrorPayload(err);
  server.log.error(
    `Plug "${message.event}" failed`,
    fields({ event: message.event, connection: client.id, code: payload.code }),
    err,
  );
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
