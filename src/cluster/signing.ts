/**
 * Signed cluster messages: an HMAC-SHA256 of the envelope in front of it, so
 * a node drops whatever someone else publishes on the channel. Pure
 * functions; `node:crypto` because its HMAC is synchronous and publishing is
 * not allowed to wait.
 *
 * ```
 * 32 bytes HMAC-SHA256(secret, envelope) | envelope
 * ```
 *
 * @example
 * ```ts
 * import { seal, sign, unseal, verify } from "./signing.ts";
 * const signed = sign("s3cr3t", new Uint8Array([1, 2, 3]));
 * verify("s3cr3t", signed); // Uint8Array [1, 2, 3]
 * verify("other", signed); // undefined
 * unseal(undefined, seal(undefined, new Uint8Array([4]))); // Uint8Array [4]: no secret, no HMAC
 * ```
 * @module
 */

import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

/** Bytes of the HMAC in front of each signed message. */
export const MAC_BYTES = 32;

function mac(secret: string, bytes: Uint8Array): Buffer {
  return createHmac("sha256", secret).update(bytes).digest();
}

/** `envelope` with its HMAC in front. */
export function sign(secret: string, envelope: Uint8Array): Buffer {
  return Buffer.concat([mac(secret, envelope), envelope]);
}

/** The envelope inside `signed` if its HMAC matches `secret`; undefined otherwise. */
export function verify(secret: string, signed: Uint8Array): Uint8Array | undefined {
  if (signed.length < MAC_BYTES) return undefined;
  const envelope = signed.subarray(MAC_BYTES);
  // Constant time, so timing does not reveal how much of a forged HMAC is right.
  return timingSafeEqual(signed.subarray(0, MAC_BYTES), mac(secret, envelope))
    ? envelope
    : undefined;
}

/** What goes on the channel: `envelope` signed with `secret`, or as it is without one. */
export function seal(secret: string | undefined, envelope: Uint8Array): Buffer {
  return secret === undefined ? Buffer.from(envelope) : sign(secret, envelope);
}

/** The envelope of a channel message: verified with `secret`, or as it is without one. */
export function unseal(secret: string | undefined, data: Uint8Array): Uint8Array | undefined {
  return secret === undefined ? data : verify(secret, data);
}
