/**
 * Frame packing (subprotocol `ssocket.pack.v1`): several complete frames
 * back to back in one binary WebSocket message. Each frame already starts
 * with its own u32 total length, so a packed message is just their
 * concatenation and needs no header of its own; one frame alone is a valid
 * packed message, byte for byte what an unpacking peer gets. Pure functions
 * over `Uint8Array`, no I/O. See docs/PROTOCOL.md, "Frame packing".
 *
 * @example
 * ```ts
 * import { FrameBatch, splitFrames } from "./pack.ts";
 * import { encodeJsonFrame } from "./frame.ts";
 * const batch = new FrameBatch();
 * batch.append(encodeJsonFrame(0, "a", 1));
 * batch.append(encodeJsonFrame(0, "b", 2));
 * console.log(splitFrames(batch.bytes()).length); // 2
 * ```
 * @module
 */

import { ErrorCode, ProtocolError } from "./errors.ts";
import { HEADER_SIZE } from "./frame.ts";

/**
 * The most bytes a packer puts in one message (64 KiB). A frame larger than
 * this is sent alone; the cap keeps one message from delaying a connection's
 * other traffic and bounds the batch buffer.
 */
export const PACK_LIMIT = 64 * 1024;
/** A batch buffer starts this small, so a connection that sends little holds little. */
const INITIAL_BATCH_BYTES = 1024;

/** The u32 big-endian total length at the start of the frame at `at`. */
function lengthAt(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

/**
 * True when `bytes` holds more than one frame or lengths that do not match:
 * its first length field differs from its size. A message for which this is
 * false is one ordinary frame and can skip {@linkcode splitFrames}.
 */
export function isPacked(bytes: Uint8Array): boolean {
  return bytes.length >= HEADER_SIZE && lengthAt(bytes, 0) !== bytes.length;
}

/**
 * Splits a packed message into its frames (views into `bytes`, not copies).
 * Only the length fields are read; each frame is decoded on its own later.
 *
 * @param bytes one whole binary WebSocket message
 * @returns the frames, at least one
 * @throws {ProtocolError} `EMPTY_MESSAGE` for no bytes; `LENGTH_MISMATCH` when
 *   the lengths do not add up to exactly the message size (a length shorter
 *   than a header, or one running past the end): the framing is lost
 */
export function splitFrames(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length === 0) throw new ProtocolError(ErrorCode.EMPTY_MESSAGE, "Message is empty");
  const frames: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const left = bytes.length - at;
    const declared = left >= HEADER_SIZE ? lengthAt(bytes, at) : 0;
    if (declared < HEADER_SIZE || declared > left) {
      throw new ProtocolError(
        ErrorCode.LENGTH_MISMATCH,
        left < HEADER_SIZE
          ? `Packed frame ${frames.length + 1} at byte ${at} has ${left} bytes, less than a header`
          : `Packed frame ${frames.length + 1} at byte ${at} says ${declared} bytes, ` +
            `${declared < HEADER_SIZE ? "less than a header" : `${left} are left`}`,
      );
    }
    frames.push(bytes.subarray(at, at + declared));
    at += declared;
  }
  return frames;
}

/**
 * Concatenates whole frames into one packed message.
 *
 * @example
 * ```ts
 * import { packFrames } from "./pack.ts";
 * import { encodeFrame } from "./frame.ts";
 * const packed = packFrames([encodeFrame({ type: 0, event: "a" }), encodeFrame({ type: 0, event: "b" })]);
 * console.log(packed.length); // 14
 * ```
 */
export function packFrames(frames: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const frame of frames) size += frame.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const frame of frames) {
    out.set(frame, at);
    at += frame.length;
  }
  return out;
}

/**
 * Frames waiting to go out as one packed message. `append` copies, so the
 * caller may reuse its buffer (the server's `FrameEncoder` does); the batch
 * buffer grows by doubling up to {@linkcode PACK_LIMIT} and is reused after
 * {@linkcode FrameBatch.clear}.
 */
export class FrameBatch {
  #buffer: Uint8Array | undefined;
  #length = 0;
  #count = 0;

  /** Bytes waiting. */
  get length(): number {
    return this.#length;
  }

  /** Frames waiting. */
  get count(): number {
    return this.#count;
  }

  /**
   * Copies `frame` in after the frames already waiting.
   *
   * @returns false (and nothing copied) when it would take the batch past
   *   `limit`; an empty batch takes any frame up to `limit`
   */
  append(frame: Uint8Array, limit: number = PACK_LIMIT): boolean {
    const needed = this.#length + frame.length;
    if (needed > limit) return false;
    let buffer = this.#buffer;
    if (buffer === undefined || needed > buffer.length) {
      let size = Math.max(buffer?.length ?? 0, INITIAL_BATCH_BYTES);
      while (size < needed) size *= 2;
      const grown = new Uint8Array(Math.min(size, Math.max(limit, needed)));
      if (buffer !== undefined && this.#length > 0) grown.set(buffer.subarray(0, this.#length));
      this.#buffer = buffer = grown;
    }
    buffer.set(frame, this.#length);
    this.#length = needed;
    this.#count++;
    return true;
  }

  /** The waiting frames as one message: a view, valid until the next `append` or `clear`. */
  bytes(): Uint8Array {
    return this.#buffer === undefined ? new Uint8Array(0) : this.#buffer.subarray(0, this.#length);
  }

  /**
   * Empties the batch. The buffer is kept for the next one unless it grew
   * past `keep` bytes, so a burst does not pin 64 KiB to a quiet connection.
   */
  clear(keep: number = INITIAL_BATCH_BYTES): void {
    this.#length = 0;
    this.#count = 0;
    if (this.#buffer !== undefined && this.#buffer.length > keep) this.#buffer = undefined;
  }
}
