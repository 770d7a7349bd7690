/**
 * One plug run: the plug's handlers called with the message, their yields
 * routed through the hub (with backpressure, `plugTimeout` and reply
 * schemas), and the call closed with END, or with an ERROR when the plug
 * throws. `dispatch.ts` decides which messages get a run.
 *
 * @example
 * ```ts ignore
 * await run(runtime, connection, plug, message);
 * ```
 * @module
 */

import { EventType } from "../protocol/event_type.ts";
import { ErrorCode, ProtocolError } from "../protocol/errors.ts";
import type { Plug, Yield } from "../plugs/types.ts";
import { concurrently } from "../plugs/concurrently.ts";
import { SchemaError, validate } from "../plugs/schema.ts";
import { fields } from "../log.ts";
import type { Connection } from "./connection.ts";
import { errorPayload, plugErrorPayload, sendError } from "./error_frames.ts";
import { legacyRun } from "./legacy_sync_streams.ts";
import type { SocketMessage } from "./message.ts";
import type { Runtime } from "./runtime.ts";
import { requestStream } from "./sync_streams.ts";

/**
 * Runs every handler of `plug`, one after another in the plug's order or,
 * with `multiExport: "concurrent"`, side by side; then closes a correlated
 * call. Its duration is measured from here to the end of the last handler.
 */
export async function run(server: Runtime, client: Connection, plug: Plug, message: SocketMessage) {
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
  if (requestId !== undefined) client.calls.begin(requestId);
  try {
    const schema = plug.schema;
    if (schema && !(await applySchema(server, client, schema, message))) return;
    const replySchema = server.config.validateReplies ? schema?.reply : undefined;
    for (const handler of handlers) {
      if (requestId !== undefined && client.calls.cancelledId(requestId)) return;
      let generator: AsyncIterable<Yield>;
      try {
        generator = handler(message, client.api);
      } catch (err) {
        return fail(server, client, message, err);
      }
      const iterator = (generator as AsyncIterable<Yield>)[Symbol.asyncIterator]();
      client.calls.track(iterator, message.requestId);
      // A legacy client syncs a copy of its request, as with serverless-sockets.
      const legacy = client.legacy ? legacyRun(message.raw) : undefined;
      const deadlines = server.stepDeadlines;
      const timeout = server.config.plugTimeout;
      try {
        const limit = server.config.backpressureLimit;
        while (true) {
          let step: IteratorResult<Yield>;
          try {
            step = deadlines
              ? await deadlines.race(iterator.next(), timeout, () => timedOut(iterator, timeout))
              : await iterator.next();
          } catch (err) {
            return fail(server, client, message, err);
          }
          if (step.done) break;
          const out = step.value;
          // Stopping early, the plug's finally blocks run, as after a `for await` break.
          if (!client.isOpen || client.calls.cancelled(iterator)) {
            return await stop(iterator).catch((err) => fail(server, client, message, err));
          }
          try {
            if (replySchema && isReply(out, message.event)) {
              await validate(replySchema, out.payload, ErrorCode.INVALID_REPLY, "Reply");
            }
            server.hub.routeYield(client, message.event, message.requestId, out, legacy);
            // Backpressure: the plug stays suspended at its yield until a slow
            // client has taken most of what is queued for it.
            if (limit > 0 && client.overLimit(limit)) await client.drained(limit);
          } catch (err) {
            // A reply that fails its schema, a yield that is not a message.
            await stop(iterator).catch(() => {});
            return fail(server, client, message, err);
          }
        }
      } finally {
        client.calls.untrack(iterator, message.requestId);
      }
      if (client.calls.cancelled(iterator)) return;
    }
    if (requestId !== undefined) {
      client.sync.forget(requestStream(requestId));
      server.hub.toConnection(client, EventType.MESSAGE, message.event, undefined, requestId, true);
    }
  } finally {
    server.runEnded();
    client.runningCalls--;
    if (stats) stats.observe((performance.now() - started) / 1000);
    if (requestId !== undefined) client.calls.finish(requestId);
  }
}

/**
 * The error of a step that took longer than `ms`. The plug is asked to
 * return; if it never reaches a yield again it is simply abandoned (in
 * worker mode, its Worker is checked for a hang), and the caller has its
 * answer.
 */
function timedOut(iterator: AsyncIterator<Yield>, ms: number): ProtocolError {
  iterator.return?.(undefined)?.catch?.(() => {});
  return new ProtocolError(ErrorCode.PLUG_TIMEOUT, `Plug gave no answer within ${ms} ms`);
}

/** Ends a plug stopped at a yield; its finally blocks run first. */
async function stop(iterator: AsyncIterator<Yield>): Promise<void> {
  await iterator.return?.(undefined);
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
    client.calls.inputOf(requestId).check = (value) =>
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
