/**
 * The client side of missed-message recovery: the session token the server
 * gave, the number of the last frame processed, and the `$ack` frames that
 * let the server drop what arrived. After a drop the client offers
 * {@linkcode ClientSession.offer} when it reconnects, and the server replays
 * what came after that frame.
 *
 * @example
 * ```ts
 * import { ClientSession } from "./session.ts";
 * const sent: Uint8Array[] = [];
 * const session = new ClientSession((frame) => sent.push(frame) > 0);
 * session.started({ id: "a", token: "t", resumed: false }); // "fresh"
 * session.processed();
 * session.ack();
 * console.log(session.seq, sent.length); // 1 1
 * ```
 * @module
 */

import { EventType } from "../protocol/event_type.ts";
import { encodeJsonFrame } from "../protocol/frame.ts";
import { ACK_EVENT, resumeProtocol, type SessionInfo } from "../protocol/recovery.ts";

/** Frames processed before an acknowledgement goes out at once. */
const ACK_EVERY = 64;
/** Otherwise the acknowledgement waits this long, so a burst costs one `$ack`. */
const ACK_DELAY_MS = 250;

/** What a `$session` frame means to the application. */
export type SessionOutcome = "fresh" | "recovered" | "reset";

/** Token, frame count and acknowledgements of one client's session. */
export class ClientSession {
  /** The connection id the session keeps. */
  id?: string;
  /** The number of the last frame processed in this session. */
  seq = 0;
  /** True while the current socket negotiated recovery. */
  active = false;
  #token?: string;
  #hadSession = false;
  #acked = 0;
  #timer?: ReturnType<typeof setTimeout>;
  readonly #send: (frame: Uint8Array) => boolean;

  /** @param send writes a frame on the current socket; false when there is none */
  constructor(send: (frame: Uint8Array) => boolean) {
    this.#send = send;
  }

  /** The subprotocol that asks to resume, when there is a session to resume. */
  offer(): string | undefined {
    return this.#token === undefined ? undefined : resumeProtocol(this.#token, this.seq);
  }

  /** A `$session` frame arrived: the session is new, resumed, or lost. */
  started(info: SessionInfo): SessionOutcome {
    this.#token = info.token;
    this.id = info.id;
    if (info.resumed) return "recovered";
    const outcome = this.#hadSession ? "reset" : "fresh";
    this.#hadSession = true;
    this.seq = 0;
    this.#acked = 0;
    return outcome;
  }

  /** One numbered frame was processed. */
  processed(): void {
    this.seq++;
    if (this.seq - this.#acked >= ACK_EVERY) this.ack();
    else this.#timer ??= setTimeout(() => this.ack(), ACK_DELAY_MS);
  }

  /** Tells the server every frame up to `seq` arrived. */
  ack(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.seq === this.#acked) return;
    if (this.#send(encodeJsonFrame(EventType.MESSAGE, ACK_EVENT, this.seq))) this.#acked = this.seq;
  }

  /** The server ended the session (it closed the connection): nothing to resume. */
  forget(): void {
    this.#token = undefined;
    this.stop();
  }

  /** The socket is gone: no acknowledgement until the next one. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.active = false;
  }
}
