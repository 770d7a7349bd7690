/**
 * Calls the server makes to this client: a plug's `client.call(event,
 * payload)` arrives here and runs the handler registered with
 * `client.handle(event, fn)`. A handler is an async generator (each yield a
 * reply) or a function returning one value (or a promise of it). The answer
 * goes back under the server's request id: replies, then END; ERROR with the
 * thrown error's `code` (`HANDLER_ERROR` without one); NOT_FOUND when no
 * handler is registered. A cancel frame from the server ends the handler.
 *
 * @example
 * ```ts ignore
 * client.handle("confirm", async ({ question }) => window.confirm(question));
 * client.handle("progress", async function* (_payload, { signal }) {
 *   while (!signal.aborted) yield await nextReading();
 * });
 * ```
 * @module
 */

import { EventType } from "../protocol/event_type.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { encodeFrame, type Frame } from "../protocol/frame.ts";
import { decodePayload, encodePayloadFrame } from "../protocol/payload.ts";

/** What a handler learns besides the payload. */
export interface HandlerContext {
  /** The event the server called. */
  event: string;
  /** Aborted when the server cancels the call or the connection drops. */
  signal: AbortSignal;
}

/**
 * Answers one call from the server: yield replies, or return one value.
 *
 * @typeParam P the payload the server sends
 * @typeParam R the replies
 */
export type CallHandler<P = unknown, R = unknown> = (
  payload: P,
  context: HandlerContext,
) => AsyncIterable<R> | Promise<R> | R;

interface Running {
  controller: AbortController;
  iterator?: AsyncIterator<unknown>;
}

/** The handlers of one client and the server calls they are answering. */
export class Handlers {
  readonly #byEvent = new Map<string, CallHandler>();
  readonly #running = new Map<number, Running>();
  readonly #write: (frame: Uint8Array) => boolean;

  /** @param write sends a frame on the current connection; false if it is not open */
  constructor(write: (frame: Uint8Array) => boolean) {
    this.#write = write;
  }

  /** Registers `handler` for `event`, replacing any; returns a function that removes it. */
  set(event: string, handler: CallHandler): () => void {
    this.#byEvent.set(event, handler);
    return () => {
      if (this.#byEvent.get(event) === handler) this.#byEvent.delete(event);
    };
  }

  /** Handles one frame whose request id is in the server's half. */
  receive(frame: Frame, id: number): void {
    if (frame.end) {
      // The server, as the caller, cancels its call.
      this.#stop(id);
      return;
    }
    if (this.#running.has(id)) return; // nothing else is sent into a running handler
    const handler = this.#byEvent.get(frame.event);
    if (!handler) {
      this.#answer(EventType.NOT_FOUND, frame.event, id, {
        code: ErrorCode.NOT_FOUND,
        message: `This client handles no event "${frame.event}"`,
      });
      return;
    }
    let payload: unknown;
    try {
      payload = decodePayload(frame);
    } catch (err) {
      this.#answer(EventType.ERROR, frame.event, id, errorBody(err, ErrorCode.INVALID_JSON));
      return;
    }
    this.#run(id, frame.event, handler, payload);
  }

  /** The connection dropped: every running handler is aborted. */
  stopAll(): void {
    for (const id of [...this.#running.keys()]) this.#stop(id);
  }

  async #run(id: number, event: string, handler: CallHandler, payload: unknown) {
    const running: Running = { controller: new AbortController() };
    this.#running.set(id, running);
    const signal = running.controller.signal;
    try {
      const result = handler(payload, { event, signal });
      if (isAsyncIterable(result)) {
        const iterator = result[Symbol.asyncIterator]();
        running.iterator = iterator;
        while (true) {
          const step = await iterator.next();
          if (signal.aborted || step.done) break;
          this.#write(encodePayloadFrame(EventType.MESSAGE, event, step.value, id));
        }
      } else {
        const value = await result;
        if (!signal.aborted && value !== undefined) {
          this.#write(encodePayloadFrame(EventType.MESSAGE, event, value, id));
        }
      }
      if (!signal.aborted) {
        this.#write(encodeFrame({ type: EventType.MESSAGE, event, requestId: id, end: true }));
      }
    } catch (err) {
      if (!signal.aborted) {
        this.#answer(EventType.ERROR, event, id, errorBody(err, ErrorCode.HANDLER_ERROR));
      }
    } finally {
      this.#running.delete(id);
    }
  }

  #stop(id: number): void {
    const running = this.#running.get(id);
    if (!running) return;
    this.#running.delete(id);
    running.controller.abort();
    running.iterator?.return?.(undefined)?.catch?.(() => {});
  }

  #answer(type: number, event: string, id: number, body: unknown): void {
    this.#write(encodePayloadFrame(type, event, body, id, true));
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown>)?.[Symbol.asyncIterator] === "function";
}

/** An ERROR body for a thrown value: its own string `code`, else `fallback`. */
function errorBody(err: unknown, fallback: string): { code: string; message: string } {
  const code = (err as { code?: unknown })?.code;
  return {
    code: typeof code === "string" && code !== "" ? code : fallback,
    message: err instanceof Error ? err.message : String(err),
  };
}
