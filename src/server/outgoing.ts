/**
 * Calls the server makes to a client (`client.call(event, payload)` in a
 * plug or INIT): the request goes out through the hub under a request id in
 * the server's half of the id space, and the client's replies come back to
 * the same {@linkcode Call} class the client library uses for its own calls.
 *
 * @example
 * ```ts ignore
 * const call = callClient(hub, connection, "confirm", { question: "Delete?" }, 30_000);
 * const yes = await call.first();
 * ```
 * @module
 */

import { EventType } from "../protocol/event_type.ts";
import type { Frame } from "../protocol/frame.ts";
import { Call, type CallOwner } from "../call/call.ts";
import { ClientErrorCode, ConnectionError } from "../call/errors.ts";
import { applyReply } from "../call/reply.ts";
import type { Connection } from "./connection.ts";
import type { Hub } from "./hub.ts";

/**
 * Starts a call to `connection`'s client.
 *
 * @param timeout milliseconds to wait for each reply; 0 waits forever
 * @returns the call: `for await` its replies, or `first()`; `return()` cancels it
 * @throws {ProtocolError} `INVALID_YIELD` or `ENCODE_ERROR` if the payload cannot be framed
 */
export function callClient<R>(
  hub: Hub,
  connection: Connection,
  event: string,
  payload: unknown,
  timeout: number,
): Call<R> {
  const id = connection.nextServerCallId();
  const owner: CallOwner = {
    detach(call) {
      if (connection.outgoing.get(id) !== call) return;
      connection.outgoing.delete(id);
      // The plug stopped reading (or timed out) before the client finished: cancel it there.
      if (!call.closedByPeer) {
        hub.toConnection(connection, EventType.MESSAGE, event, undefined, id, true);
      }
    },
  };
  const call = new Call<R>(owner, event, payload, id, timeout);
  if (!connection.isOpen) {
    call.fail(new ConnectionError(ClientErrorCode.NOT_CONNECTED, "The connection is closed"));
    return call;
  }
  connection.outgoing.set(id, call as Call<unknown>);
  try {
    call.sent = hub.toConnection(connection, EventType.MESSAGE, event, payload, id);
  } catch (err) {
    call.closedByPeer = true; // nothing went out, so there is nothing to cancel
    call.fail(err);
    throw err;
  }
  return call;
}

/** Delivers a frame from the client to the server's call it answers; unknown ids are dropped. */
export function receiveReply(connection: Connection, frame: Frame, requestId: number): void {
  const call = connection.outgoing.get(requestId);
  if (call) applyReply(call, frame);
}
