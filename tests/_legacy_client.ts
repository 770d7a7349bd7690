/**
 * A serverless-sockets client for tests, written from that project's README
 * (not from ssocket's code): it offers no subprotocol, encodes frames as
 * `[u32 size][type][event size][event][JSON]`, and rebuilds SYNC states the
 * original way. A state is the **whole frame** of "the last sent or received
 * object"; a SYNC payload is `[[lengthChange], [start, byte, ...], ...]`:
 * the first array is the change in length, each next one a start index
 * followed by the bytes to place from there.
 *
 * @module
 */

import { WAIT_MS, withTimeout } from "./_harness.ts";

const utf8 = new TextEncoder();
const text = new TextDecoder();
/** u32 size, type byte, event name size. */
const HEAD = 6;
const SYNC = 3;

/** One frame in the original format, the way the original `SocketMessage` reads it. */
export class LegacyMessage {
  raw: Uint8Array;

  constructor(raw: Uint8Array) {
    this.raw = raw;
  }

  /** `SocketMessage.encode({ event, type, payload })` of the original. */
  static encode(event: string, payload: unknown, type = 0): LegacyMessage {
    const name = utf8.encode(event);
    const body = utf8.encode(JSON.stringify(payload));
    const raw = new Uint8Array(HEAD + name.length + body.length);
    new DataView(raw.buffer).setUint32(0, raw.length);
    raw[4] = type;
    raw[5] = name.length;
    raw.set(name, HEAD);
    raw.set(body, HEAD + name.length);
    return new LegacyMessage(raw);
  }

  get eventType(): number {
    return this.raw[4];
  }
  get event(): string {
    return text.decode(this.raw.subarray(HEAD, HEAD + this.raw[5]));
  }
  get payload(): unknown {
    return JSON.parse(text.decode(this.raw.subarray(HEAD + this.raw[5])));
  }

  /**
   * Applies a SYNC frame to this state: a copy grown or cut by the length
   * change (new bytes are zero), then each instruction's bytes written from
   * its start index.
   */
  syncIncoming(frame: LegacyMessage): void {
    if (frame.eventType !== SYNC) return;
    const [[lengthChange], ...places] = frame.payload as number[][];
    const next = new Uint8Array(this.raw.length + lengthChange);
    next.set(this.raw.subarray(0, Math.min(next.length, this.raw.length)));
    for (const [start, ...bytes] of places) next.set(bytes, start);
    this.raw = next;
  }
}

/** A WebSocket that speaks only the original format. */
export class LegacySocket implements AsyncDisposable {
  readonly ws: WebSocket;
  readonly #queue: LegacyMessage[] = [];
  readonly #waiting: ((message: LegacyMessage) => void)[] = [];
  readonly closed: Promise<CloseEvent>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.binaryType = "arraybuffer";
    ws.onmessage = (event) => {
      const message = new LegacyMessage(new Uint8Array(event.data as ArrayBuffer));
      const waiter = this.#waiting.shift();
      if (waiter) waiter(message);
      else this.#queue.push(message);
    };
    this.closed = new Promise((resolve) => ws.addEventListener("close", resolve));
  }

  /** Connects without offering any subprotocol, as the original clients did. */
  static async open(url: string): Promise<LegacySocket> {
    const ws = new WebSocket(url);
    const socket = new LegacySocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = (e) => reject(new Error(`WebSocket failed: ${(e as ErrorEvent).message}`));
    });
    return socket;
  }

  /** Sends `{ event, payload }` and returns the message sent (the base of a first SYNC). */
  send(event: string, payload: unknown, type = 0): LegacyMessage {
    const message = LegacyMessage.encode(event, payload, type);
    this.ws.send(message.raw);
    return message;
  }

  /** The next frame; rejects if none arrives within `timeoutMs`. */
  next(timeoutMs = WAIT_MS): Promise<LegacyMessage> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    const { promise, resolve } = Promise.withResolvers<LegacyMessage>();
    this.#waiting.push(resolve);
    return withTimeout(promise, timeoutMs, () => `No frame arrived within ${timeoutMs} ms`);
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    await this.closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
