/**
 * Payloads as plugs and clients give and take them, over the frame codec:
 * a `Uint8Array` travels as raw bytes in a frame flagged `FLAG_BINARY`,
 * anything else as UTF-8 JSON. Also the split of the request-id space
 * between the calls each side starts. Pure, no I/O.
 *
 * @example
 * ```ts
 * import { decodePayload, encodePayloadFrame } from "./payload.ts";
 * import { decodeFrame } from "./frame.ts";
 * const frame = decodeFrame(encodePayloadFrame(0, "upload", new Uint8Array([1, 2, 3])));
 * console.log(decodePayload(frame)); // Uint8Array(3) [ 1, 2, 3 ]
 * ```
 * @module
 */

import { decodeJsonPayload, encodeFrame, encodeJsonFrame, type Frame } from "./frame.ts";

/**
 * Request ids with this bit belong to calls the server started (a plug's
 * `client.call`); ids without it to calls the client started. Each side
 * picks ids only in its own half, so the two directions never collide.
 */
export const SERVER_CALL_BIT = 0x8000_0000;

/**
 * True if `requestId` belongs to a call the server started.
 *
 * @example
 * ```ts
 * import { isServerCallId } from "./payload.ts";
 * console.log(isServerCallId(7), isServerCallId(0x8000_0007)); // false true
 * ```
 */
export function isServerCallId(requestId: number): boolean {
  return requestId >= SERVER_CALL_BIT;
}

/**
 * A frame's payload as a plug or client sees it: a `Uint8Array` view of the
 * bytes (no copy) for a binary frame, parsed JSON otherwise.
 *
 * @throws {ProtocolError} `INVALID_UTF8` or `INVALID_JSON`
 * @example
 * ```ts
 * import { decodePayload } from "./payload.ts";
 * import { decodeFrame, encodeFrame } from "./frame.ts";
 * const bytes = encodeFrame({ type: 0, event: "up", binary: true }, new Uint8Array([1, 2]));
 * console.log(decodePayload(decodeFrame(bytes))); // Uint8Array(2) [ 1, 2 ]
 * ```
 */
export function decodePayload(frame: Pick<Frame, "payload" | "binary">): unknown {
  return frame.binary ? frame.payload : decodeJsonPayload(frame);
}

/**
 * Encodes a frame around a payload: a `Uint8Array` is sent as it is, flagged
 * binary; anything else as JSON, as `encodeJsonFrame`.
 *
 * @throws {ProtocolError} `INVALID_YIELD` or `ENCODE_ERROR`
 * @example
 * ```ts
 * import { encodePayloadFrame } from "./payload.ts";
 * import { decodeFrame } from "./frame.ts";
 * const frame = decodeFrame(encodePayloadFrame(0, "upload", new Uint8Array([1, 2, 3])));
 * console.log(frame.binary, frame.payload.length); // true 3
 * ```
 */
export function encodePayloadFrame(
  type: number,
  event: string,
  value: unknown,
  requestId?: number,
  end?: boolean,
): Uint8Array {
  if (value instanceof Uint8Array) {
    return encodeFrame({ type, event, requestId, end, binary: true }, value);
  }
  return encodeJsonFrame(type, event, value, requestId, end);
}
