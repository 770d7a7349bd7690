/**
 * WebSocket subprotocol negotiation: how a connection tells the server it
 * speaks ssocket's own protocol rather than the original serverless-sockets
 * one, and which of its optional features it wants. The ssocket client offers
 * the tokens of {@linkcode SUBPROTOCOLS} it wants (most capable first) in
 * `Sec-WebSocket-Protocol`; the server answers with the first one it
 * supports. A connection that offered none of them is a legacy client and
 * gets frames exactly as serverless-sockets sent them (SYNC as JSON
 * instruction arrays; see docs/PROTOCOL.md).
 *
 * WebSocket selects exactly one token per connection, so each token names a
 * whole set of features: frame packing and missed-message recovery each have
 * a token, and so does the pair. A later feature adds tokens ahead of the
 * ones they extend, with a field in {@linkcode Subprotocol}; an older server
 * simply picks a token it knows.
 *
 * @example
 * ```ts
 * import { negotiate, offeredProtocols, SUBPROTOCOL_PACK_RECOVERY_V1 } from "./subprotocol.ts";
 * const header = offeredProtocols(["chat"]).join(", "); // what the client sends
 * const chosen = negotiate(header);
 * console.log(chosen.token === SUBPROTOCOL_PACK_RECOVERY_V1, chosen.pack, chosen.recovery); // true true true
 * console.log(negotiate(header, false).recovery); // false: a server without recovery
 * console.log(negotiate(null).legacy); // true
 * ```
 * @module
 */

/** The prefix of a subprotocol that carries an auth token (see `auth.ts`); never an answer. */
export const TOKEN_PROTOCOL_PREFIX = "ssocket.token.";

/**
 * The prefix of a subprotocol that presents a session to resume:
 * `ssocket.session.<session token>.<last frame number>`; never an answer.
 */
export const SESSION_PROTOCOL_PREFIX = "ssocket.session.";

/** ssocket's own protocol, version 1: binary SYNC deltas, calls, cancel frames. */
export const SUBPROTOCOL_V1 = "ssocket.v1";

/** `ssocket.v1` plus frame packing: several frames per message, both ways (see `pack.ts`). */
export const SUBPROTOCOL_PACK_V1 = "ssocket.pack.v1";

/**
 * `ssocket.v1` plus missed-message recovery: a `$session` frame first, every
 * later frame counted, `$ack` frames from the client (see docs/PROTOCOL.md).
 */
export const SUBPROTOCOL_RECOVERY_V1 = "ssocket.recovery.v1";

/** `ssocket.v1` with both frame packing and missed-message recovery. */
export const SUBPROTOCOL_PACK_RECOVERY_V1 = "ssocket.pack.recovery.v1";

/**
 * One subprotocol token. Every token here means ssocket's own protocol
 * (binary SYNC deltas, calls, cancel frames), plus the features it names.
 */
export interface Subprotocol {
  /** The token in `Sec-WebSocket-Protocol`. */
  readonly token: string;
  /** Messages may carry several frames back to back, both ways (see `pack.ts`). */
  readonly pack: boolean;
  /** Sessions, frame counting and resume (see `src/recovery/`). */
  readonly recovery: boolean;
}

/** Every token this version understands, most capable first (the client offers them in this order). */
export const SUBPROTOCOLS: readonly Subprotocol[] = [
  { token: SUBPROTOCOL_PACK_RECOVERY_V1, pack: true, recovery: true },
  { token: SUBPROTOCOL_RECOVERY_V1, pack: false, recovery: true },
  { token: SUBPROTOCOL_PACK_V1, pack: true, recovery: false },
  { token: SUBPROTOCOL_V1, pack: false, recovery: false },
];

/** The outcome of negotiation for one connection. */
export interface Negotiated {
  /**
   * The protocol to answer with: an ssocket token, or for a legacy client one
   * of its own offered protocols; `undefined` (no answer) when it offered none.
   */
  readonly token: string | undefined;
  /**
   * True when the client offered no ssocket token: it speaks the original
   * serverless-sockets format, so SYNC frames to it are JSON instruction
   * arrays instead of binary deltas.
   */
  readonly legacy: boolean;
  /** True when both sides pack frames; never for a legacy client. */
  readonly pack: boolean;
  /** True when the chosen token includes missed-message recovery. */
  readonly recovery: boolean;
}

const LEGACY: Negotiated = { token: undefined, legacy: true, pack: false, recovery: false };

/**
 * Splits a `Sec-WebSocket-Protocol` header (`"a, b"`) into its tokens. A
 * header may also be repeated; `Headers.get` joins repeats with ", ".
 */
export function parseProtocolHeader(header: string | null): string[] {
  if (!header) return [];
  return header.split(",").map((token) => token.trim()).filter((token) => token !== "");
}

/**
 * Picks the subprotocol for a connection from the client's offer: the first
 * of {@linkcode SUBPROTOCOLS} the client offered (the server's preference
 * wins, so a token with more features is chosen over the ones it extends).
 *
 * @param header the request's `Sec-WebSocket-Protocol` header
 * @param recovery whether this server offers recovery (`recovery.isOn`); else such tokens are passed over
 */
export function negotiate(header: string | null, recovery = true): Negotiated {
  const offered = parseProtocolHeader(header);
  for (const protocol of SUBPROTOCOLS) {
    if (protocol.recovery && !recovery) continue;
    if (offered.includes(protocol.token)) {
      return {
        token: protocol.token,
        legacy: false,
        pack: protocol.pack,
        recovery: protocol.recovery,
      };
    }
  }
  // Browsers fail a handshake whose answer is missing or was not offered, so
  // a legacy client that offered protocols of its own gets one of them back:
  // one that carries no token or session when there is one (never echoed).
  // An ssocket token this server passed over is never an answer: a client
  // offering only those is not spoken to in a way it would misread.
  const own = offered.filter((p) => !SUBPROTOCOLS.some((known) => known.token === p));
  if (own.length === 0) return LEGACY;
  const answer =
    own.find((p) =>
      !p.startsWith(TOKEN_PROTOCOL_PREFIX) && !p.startsWith(SESSION_PROTOCOL_PREFIX)
    ) ?? own[0];
  return { ...LEGACY, token: answer };
}

/**
 * The protocols a client passes to `new WebSocket(url, protocols)`: the
 * ssocket tokens it wants (all, or none with recovery when `recovery` is
 * false), then the application's own (never twice).
 */
export function offeredProtocols(extra?: string | string[], recovery = true): string[] {
  const own = SUBPROTOCOLS.filter((p) => recovery || !p.recovery).map((p) => p.token);
  const all = SUBPROTOCOLS.map((p) => p.token);
  const more = extra === undefined ? [] : typeof extra === "string" ? [extra] : extra;
  return [...own, ...more.filter((token) => !all.includes(token))];
}

/** The features of an answered token (what `ws.protocol` says on the client). */
export function featuresOf(token: string): Subprotocol | undefined {
  return SUBPROTOCOLS.find((p) => p.token === token);
}
