/**
 * Encodes frames into one reusable buffer instead of a new allocation per
 * frame (in Deno a fresh small `Uint8Array` costs about as much as parsing
 * its JSON). Pure, no I/O. The view returned is only valid until the next
 * call: use it for transports whose `send()` copies the bytes before it
 * returns, as Deno's WebSocket does (tests/server/transport_test.ts checks).
 *
 * @example
 * ```ts
 * import { FrameEncoder } from "./frame_encoder.ts";
 * import { decodeFrame } from "./frame.ts";
 * const encoder = new FrameEncoder();
 * const view = encoder.json(0, "echo", { hi: 1 }, 7);
 * console.log(decodeFrame(view).requestId); // 7
 * ```
 * @module
 */

import { ErrorCode, ProtocolError } from "./errors.ts";
import {
  checkInit,
  encodeFrame,
  encodeJsonFrame,
  type FrameInit,
  HEADER_SIZE,
  REQUEST_ID_SIZE,
  utf8Length,
  writeHead,
} from "./frame.ts";

/** The buffer starts this large and grows on demand. */
const INITIAL_BYTES = 16 * 1024;
/** Frames that could be larger are allocated on their own instead of growing the buffer. */
const MAX_SCRATCH_BYTES = 1024 * 1024;
/** Up to this many characters, JSON is copied by a loop that also checks for ASCII. */
const ASCII_LOOP_CHARS = 512;
/** The most UTF-8 bytes one UTF-16 code unit can take. */
const MAX_BYTES_PER_UNIT = 3;

const utf8 = new TextEncoder();

/** Encodes frames into a buffer it reuses; each result is valid until the next call. */
export class FrameEncoder {
  #buffer = new Uint8Array(INITIAL_BYTES);

  /**
   * Encodes a frame whose payload is `JSON.stringify(value)`.
   *
   * @returns a view of the frame, valid until the next call on this encoder
   * @throws {ProtocolError} `INVALID_YIELD` or `ENCODE_ERROR`, as `encodeJsonFrame`
   */
  json(type: number, event: string, value: unknown, requestId?: number, end?: boolean): Uint8Array {
    // Stringify first: a toJSON() that sends a frame re-enters before anything is written.
    const json = value === undefined ? "" : JSON.stringify(value);
    if (json === undefined) {
      throw new ProtocolError(
        ErrorCode.INVALID_YIELD,
        `A ${typeof value} payload has no JSON form`,
      );
    }
    const init: FrameInit = { type, event, requestId, end };
    const nameBytes = utf8Length(event);
    checkInit(init, nameBytes, 0);
    const head = HEADER_SIZE + nameBytes + (requestId === undefined ? 0 : REQUEST_ID_SIZE);
    const worst = head + json.length * MAX_BYTES_PER_UNIT;
    if (worst > MAX_SCRATCH_BYTES) return encodeJsonFrame(type, event, value, requestId, end);
    const out = this.#room(worst);
    let at = head;
    let i = 0;
    if (json.length <= ASCII_LOOP_CHARS) {
      for (; i < json.length; i++) {
        const c = json.charCodeAt(i);
        if (c >= 0x80) break;
        out[at++] = c;
      }
    }
    if (i < json.length) {
      at += utf8.encodeInto(i === 0 ? json : json.slice(i), out.subarray(at)).written;
    }
    writeHead(out, init, nameBytes, at);
    return out.subarray(0, at);
  }

  /**
   * Encodes a frame around raw payload bytes (a SYNC delta, or none).
   *
   * @returns a view of the frame, valid until the next call on this encoder
   */
  frame(init: FrameInit, payload?: Uint8Array): Uint8Array {
    const nameBytes = utf8Length(init.event);
    const total = checkInit(init, nameBytes, payload?.length ?? 0);
    if (total > MAX_SCRATCH_BYTES) return encodeFrame(init, payload);
    const out = this.#room(total);
    const at = writeHead(out, init, nameBytes, total);
    if (payload && payload.length > 0) out.set(payload, at);
    return out.subarray(0, total);
  }

  #room(bytes: number): Uint8Array {
    if (bytes > this.#buffer.length) {
      this.#buffer = new Uint8Array(
        Math.min(MAX_SCRATCH_BYTES, Math.max(bytes, this.#buffer.length * 2)),
      );
    }
    return this.#buffer;
  }
}
