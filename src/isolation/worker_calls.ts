/**
 * The Worker's side of what streams between a plug and its client while a
 * call runs: `client.call()` (a stand-in {@linkcode Call} fed by the
 * server's {@linkcode CallRelay}) and `message.input` (each item pulled from
 * the server's input stream when the plug asks for it, so unread input stays
 * in the server and counts against `inputBufferLimit` exactly as
 * in-process).
 *
 * @example
 * ```ts ignore
 * const calls = new WorkerCalls(link);
 * const call = calls.start("client-id", "confirm", { q: "?" }, {});
 * calls.reply({ k: "callReply", call: 1 }, replyBytes);
 * ```
 * @module
 */

import { deserialize } from "node:v8";
import { Call, type CallOwner } from "../call/call.ts";
import {
  CallError,
  ConnectionError,
  NotFoundError,
  SsocketError,
  TimeoutError,
} from "../call/errors.ts";
import type { ClientCallOptions } from "../plugs/api.ts";
import type { InputSource } from "../server/message.ts";
import type { Link } from "./api_proxy.ts";
import type { CallErrorInfo } from "./call_relay.ts";

/** A reply the server relays for one call. */
export interface CallReplyHead {
  call: number;
  end?: boolean;
  error?: CallErrorInfo;
}

/** Calls from this Worker's plugs to their clients. */
export class WorkerCalls {
  readonly #link: Link;
  readonly #calls = new Map<number, Call<unknown>>();
  #next = 1;

  /** @param link the way to the server */
  constructor(link: Link) {
    this.#link = link;
  }

  /**
   * `client.call()` of connection `id`. Synchronous like the original, so a
   * payload that cannot be framed throws here.
   */
  start<R>(id: string, event: string, payload: unknown, options: ClientCallOptions): Call<R> {
    const k = this.#next++;
    const owner: CallOwner = {
      detach: () => {
        // Still known: the plug stopped reading before the server said the call ended.
        if (this.#calls.delete(k)) this.#link.notify("client.call.detach", k);
      },
    };
    const requestId = this.#link.sync("client.call", id, k, event, payload, options.timeout);
    // The server's call keeps the timeout; this one only hands over what it relays.
    const call = new Call<R>(owner, event, payload, requestId as number, 0);
    this.#calls.set(k, call as Call<unknown>);
    return call;
  }

  /** Hands a relayed reply, end or failure to its call. */
  reply(head: CallReplyHead, tail: Uint8Array): void {
    const call = this.#calls.get(head.call);
    if (!call) return;
    if (head.error) {
      this.#calls.delete(head.call);
      call.fail(rebuild(head.error));
    } else if (head.end) {
      this.#calls.delete(head.call);
      call.finish();
    } else call.push(tail.length === 0 ? undefined : deserialize(tail));
  }
}

/** The input of connection `id`'s calls, pulled from the server item by item. */
export function remoteInput(link: Link, id: string): InputSource {
  return {
    inputOf(requestId: number): AsyncIterable<unknown> {
      return {
        [Symbol.asyncIterator]: () => ({
          next: () => link.call("input.next", id, requestId) as Promise<IteratorResult<unknown>>,
          return: () => {
            link.notify("input.return", id, requestId);
            return Promise.resolve({ value: undefined, done: true });
          },
        }),
      };
    },
  };
}

/** The client library's error class for a relayed failure, so `instanceof` holds in plugs. */
function rebuild(info: CallErrorInfo): Error {
  const code = info.code ?? "PLUG_ERROR";
  let err: Error;
  switch (info.name) {
    case "NotFoundError":
      err = new NotFoundError(info.message, info.event ?? "");
      break;
    case "CallError":
      err = new CallError(code, info.message, info.event ?? "", info.issues);
      break;
    case "ConnectionError":
      err = new ConnectionError(
        code as ConstructorParameters<typeof ConnectionError>[0],
        info.message,
      );
      break;
    case "TimeoutError":
      err = new TimeoutError(info.event ?? "", 0);
      break;
    default:
      err = info.code ? new SsocketError(code, info.message) : new Error(info.message);
      err.name = info.name;
  }
  err.message = info.message;
  return err;
}
