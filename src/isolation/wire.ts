/**
 * The byte format between the server and a plug host process, and between a
 * host and its Workers. One message is `[u32 size][u32 target][u32 jsonSize]
 * [JSON header][binary tail]`: the host routes by `target` (a Worker id, 0 for
 * the host itself) without parsing anything else, and hot messages (calls,
 * yields) stay JSON because Deno's `node:v8` serializer costs about 5x more
 * than JSON for small objects. The tail carries bytes that JSON cannot (a
 * call's raw frame, structured-clone RPC values).
 *
 * @example
 * ```ts
 * import { decodeBody, encodeMessage, MessageReader } from "./wire.ts";
 * const reader = new MessageReader();
 * const out: unknown[] = [];
 * reader.push(encodeMessage(7, { k: "ping" }), (target, body) => out.push([target, decodeBody(body).head]));
 * console.log(out); // [[7, { k: "ping" }]]
 * ```
 * @module
 */

/** Bytes before a message's body: its size and its target. */
export const ENVELOPE_BYTES = 8;
/** The target bit set on a reply to a Worker's synchronous call (it is blocked, not listening). */
export const SYNC_REPLY = 0x8000_0000;

import { setImmediate } from "node:timers";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
const EMPTY = new Uint8Array(0);

/** One decoded body: the JSON header and the binary tail (empty when none). */
export interface Body {
  // deno-lint-ignore no-explicit-any
  head: any;
  tail: Uint8Array;
}

/** Encodes a whole message: envelope, JSON header and optional tail. */
export function encodeMessage(target: number, head: unknown, tail: Uint8Array = EMPTY): Uint8Array {
  const json = utf8.encode(JSON.stringify(head));
  const out = new Uint8Array(ENVELOPE_BYTES + 4 + json.length + tail.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, out.length - ENVELOPE_BYTES);
  view.setUint32(4, target >>> 0);
  view.setUint32(8, json.length);
  out.set(json, 12);
  out.set(tail, 12 + json.length);
  return out;
}

/** Encodes a body alone (what a Worker posts to its host). */
export function encodeBody(head: unknown, tail: Uint8Array = EMPTY): Uint8Array {
  return encodeMessage(0, head, tail).subarray(ENVELOPE_BYTES);
}

/** Wraps a body from a Worker into a message for the server. */
export function envelope(target: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(ENVELOPE_BYTES + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  view.setUint32(4, target >>> 0);
  out.set(body, ENVELOPE_BYTES);
  return out;
}

/** Decodes a body into its header and tail. */
export function decodeBody(body: Uint8Array): Body {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const jsonSize = view.getUint32(0);
  return {
    head: JSON.parse(fromUtf8.decode(body.subarray(4, 4 + jsonSize))),
    tail: body.subarray(4 + jsonSize),
  };
}

/** Splits a byte stream into messages, across chunk boundaries. */
export class MessageReader {
  #pending: Uint8Array = EMPTY;

  /** Feeds a chunk; calls `onMessage` with each complete message's target and body (a copy). */
  push(chunk: Uint8Array, onMessage: (target: number, body: Uint8Array) => void): void {
    let bytes = chunk;
    if (this.#pending.length > 0) {
      bytes = new Uint8Array(this.#pending.length + chunk.length);
      bytes.set(this.#pending);
      bytes.set(chunk, this.#pending.length);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    while (bytes.length - at >= ENVELOPE_BYTES) {
      const size = view.getUint32(at);
      if (bytes.length - at - ENVELOPE_BYTES < size) break;
      const start = at + ENVELOPE_BYTES;
      onMessage(view.getUint32(at + 4), bytes.slice(start, start + size));
      at = start + size;
    }
    this.#pending = at === bytes.length ? EMPTY : bytes.slice(at);
  }
}

/**
 * Writes messages to a stream, coalescing everything queued in one
 * event-loop turn, and while a write is under way, into one write: one
 * system call per burst instead of one per
 * message.
 */
export class BatchWriter {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #queue: Uint8Array[] = [];
  #size = 0;
  #writing = false;
  #broken = false;

  /** @param writable the stream to write to (a child's stdin, the host's stdout) */
  constructor(writable: WritableStream<Uint8Array>) {
    this.#writer = writable.getWriter();
  }

  /** Queues one message; false once the stream has failed. */
  write(message: Uint8Array): boolean {
    if (this.#broken) return false;
    this.#queue.push(message);
    this.#size += message.length;
    if (!this.#writing) {
      // Started at the end of the turn so everything the turn sends leaves in one write.
      this.#writing = true;
      setImmediate(() => this.#flush());
    }
    return true;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const queue = this.#queue;
        const size = this.#size;
        this.#queue = [];
        this.#size = 0;
        await this.#writer.write(queue.length === 1 ? queue[0] : concat(queue, size));
      }
    } catch {
      this.#broken = true;
      this.#queue = [];
    } finally {
      this.#writing = false;
    }
  }

  /** Closes the stream, ignoring a peer that is already gone. */
  async close(): Promise<void> {
    this.#broken = true;
    await this.#writer.close().catch(() => {});
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
