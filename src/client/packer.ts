/**
 * The client's half of frame packing (`ssocket.pack.v1`): frames sent in one
 * turn go out as one WebSocket message at the end of it, capped at
 * `PACK_LIMIT`; received messages are split into frames by `incoming.ts`.
 *
 * "The end of the turn" is `setImmediate` where it exists (Deno, Node: it
 * runs after every I/O callback and promise chain of the turn, see
 * `src/server/outbox.ts` for the measurement), and in browsers, which have
 * no `setImmediate`, a `MessageChannel` message: a task queued behind the
 * current one, the usual stand-in. Neither is a timer.
 *
 * @example
 * ```ts ignore
 * const packer = new FramePacker(ws);
 * packer.send(frameA);
 * packer.send(frameB); // both leave in one message at the end of this turn
 * ```
 * @module
 */

import { PACK_LIMIT, packFrames } from "../protocol/pack.ts";
import { WS_OPEN } from "./websocket.ts";

type Schedule = (run: () => void) => void;

/** Runs `run` once the current turn (its I/O callbacks and promise chains) is over. */
const endOfTurn: Schedule = (() => {
  const immediate = (globalThis as { setImmediate?: (run: () => void) => unknown }).setImmediate;
  if (typeof immediate === "function") return (run) => void immediate(run);
  if (typeof MessageChannel === "function") {
    const channel = new MessageChannel();
    const queued: (() => void)[] = [];
    channel.port1.onmessage = () => queued.shift()?.();
    return (run) => {
      queued.push(run);
      channel.port2.postMessage(0);
    };
  }
  return queueMicrotask;
})();

/** Sends frames on one socket, packed per turn. Frames are kept by reference, never reused. */
export class FramePacker {
  readonly #ws: WebSocket;
  #frames: Uint8Array[] = [];
  #bytes = 0;
  #scheduled = false;
  readonly #flushTurn = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  constructor(ws: WebSocket) {
    this.#ws = ws;
  }

  /** Queues `frame` for the end of this turn; what waits goes first if the cap would be passed. */
  send(frame: Uint8Array): void {
    if (this.#bytes + frame.length > PACK_LIMIT) this.flush();
    this.#frames.push(frame);
    this.#bytes += frame.length;
    if (!this.#scheduled) {
      this.#scheduled = true;
      endOfTurn(this.#flushTurn);
    }
  }

  /** Sends what waits now, as one message (before a close, or past the cap). */
  flush(): void {
    const frames = this.#frames;
    if (frames.length === 0) return;
    this.#frames = [];
    this.#bytes = 0;
    if (this.#ws.readyState !== WS_OPEN) return;
    // Frames are built with `new Uint8Array(n)`, never over a SharedArrayBuffer.
    const message = frames.length === 1 ? frames[0] : packFrames(frames);
    this.#ws.send(message as Uint8Array<ArrayBuffer>);
  }
}
