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
import { decodeFrame, decodeJsonPayload, peekRequestId } from "../protocol/frame.ts";
import type { Plug, Yield } from "../plugs/types.ts";
import type { Connection } from "./connection.ts";
import { SocketMessage } from "./message.ts";
import type { Runtime } from "./runtime.ts";
import { requestStream } from "./sync_streams.ts";

/** The payload of ERROR and NOT_FOUND frames. */
export interface ErrorPayload {
  /** A stable code from `ErrorCode`, or a plug's own `PlugError` code. */
  code: string;
  /** A sentence for people. */
  message: string;
}

const DONE: Promise<void> = Promise.resolve();

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
  // Checked on the received size, before anything is decoded. Only a
  // transport that cannot see sizes while receiving (Deno's) gets here with
  // one; the connection is closed like the ws transport closes it.
  if (bytes.length > server.config.payloadLimit) {
    const message =
      `Message of ${bytes.length} bytes exceeds payloadLimit ${server.config.payloadLimit}`;
    sendError(server, client, "", { code: ErrorCode.PAYLOAD_TOO_LARGE, message });
    server.counters.oversized++;
    client.drop(CloseCode.MESSAGE_TOO_BIG, "Message exceeds payloadLimit");
    return DONE;
  }
  let message: SocketMessage;
  try {
    const frame = decodeFrame(bytes);
    if (frame.end) {
      // A client's REQUEST|END frame cancels its call; nothing is sent back.
      client.cancel(frame.requestId!);
      return DONE;
    }
    const payload = frame.type === EventType.SYNC ? frame.payload : decodeJsonPayload(frame);
    message = new SocketMessage(bytes, frame.event, frame.type, payload, frame.requestId);
  } catch (err) {
    const requestId = peekRequestId(bytes);
    sendError(server, client, "", errorPayload(err), requestId);
    return DONE;
  }
  const plug = server.plugs.get(message.event);
  if (plug) return run(server, client, plug, message);
  return server.source.resolve(message.event).then((found) =>
    found ? run(server, client, found, message) : notFound(server, client, message)
  );
}

function notFound(server: Runtime, client: Connection, message: SocketMessage): void {
  server.hub.toConnection(
    client,
    EventType.NOT_FOUND,
    message.event,
    { code: ErrorCode.NOT_FOUND, message: `No plug answers event "${message.event}"` },
    message.requestId,
    message.requestId !== undefined,
  );
}

/** Runs every handler of `plug` in order, then closes a correlated call. */
async function run(server: Runtime, client: Connection, plug: Plug, message: SocketMessage) {
  for (const handler of plug.handlers) {
    let generator: AsyncIterable<Yield>;
    try {
      generator = handler(message, client.api);
    } catch (err) {
      return fail(server, client, message, err);
    }
    const iterator = generator as unknown as AsyncIterator<unknown>;
    client.track(iterator, message.requestId);
    try {
      const limit = server.config.backpressureLimit;
      const steps = server.config.plugTimeout > 0
        ? withStepTimeout(generator, server.config.plugTimeout)
        : generator;
      for await (const out of steps) {
        if (!client.isOpen || client.cancelled(iterator)) return;
        server.hub.routeYield(client, message.event, message.requestId, out);
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
  server.log.error(`Plug "${message.event}" failed:`, err);
  if (message.requestId !== undefined) client.sync.forget(requestStream(message.requestId));
  const payload = err instanceof ProtocolError ? errorPayload(err) : plugErrorPayload(err);
  sendError(server, client, message.event, payload, message.requestId);
}

function sendError(
  server: Runtime,
  client: Connection,
  event: string,
  payload: ErrorPayload,
  requestId?: number,
) {
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
