/**
 * WebSocket subprotocol negotiation: how a connection tells the server it
 * speaks ssocket's own protocol rather than the original serverless-sockets
 * one. The ssocket client offers every token in {@linkcode SUBPROTOCOLS}
 * (most capable first) in `Sec-WebSocket-Protocol`; the server answers with
 * the first one it supports. A connection that offered none of them is a
 * legacy client and gets frames exactly as serverless-sockets sent them
 * (SYNC as JSON instruction arrays; see docs/PROTOCOL.md).
 *
 * WebSocket selects exactly one token per connection, so each token names a
 * whole set of features. A later token (say `ssocket.pack.v1`) is added to
 * {@linkcode SUBPROTOCOLS} ahead of the ones it extends, with a field for its
 * feature in {@linkcode Subprotocol}; the client offers all of them in one
 * header, and an older server simply picks the token it knows.
 *
 * @example
 * ```ts
 * import { negotiate, offeredProtocols, SUBPROTOCOL_RECOVERY_V1 } from "./subprotocol.ts";
 * const header = offeredProtocols(["chat"]).join(", "); // what the client sends
 * const chosen = negotiate(header);
 * console.log(chosen.token === SUBPROTOCOL_RECOVERY_V1, chosen.legacy); // true false
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

/**
 * `ssocket.v1` plus missed-message recovery: a `$session` frame first, every
 * later frame counted, `$ack` frames from the client (see docs/PROTOCOL.md).
 */
export const SUBPROTOCOL_RECOVERY_V1 = "ssocket.recovery.v1";

/**
 * One subprotocol token. Every token here means ssocket's own protocol
 * (binary SYNC deltas, calls, cancel frames); a token that adds a feature
 * adds a field saying so.
 */
export interface Subprotocol {
  /** The token in `Sec-WebSocket-Protocol`. */
  readonly token: string;
  /** Sessions, frame counting and resume (see `src/recovery/`). */
  readonly recovery?: boolean;
}

/** Every token this version understands, most capable first (the client offers them in this order). */
export const SUBPROTOCOLS: readonly Subprotocol[] = [
  { token: SUBPROTOCOL_RECOVERY_V1, recovery: true },
  { token: SUBPROTOCOL_V1 },
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
  /** True when the chosen token includes missed-message recovery. */
  readonly recovery?: boolean;
}

const LEGACY: Negotiated = { token: undefined, legacy: true };

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
 * wins, so a newer token is chosen over the one it extends).
 *
 * @param header the request's `Sec-WebSocket-Protocol` header
 * @param recovery whether this server offers recovery (`recovery.isOn`); else such tokens are passed over
 */
export function negotiate(header: string | null, recovery = true): Negotiated {
  const offered = parseProtocolHeader(header);
  for (const protocol of SUBPROTOCOLS) {
    if (protocol.recovery && !recovery) continue;
    if (offered.includes(protocol.token)) {
      // Only a recovery token says so, so a plain answer stays { token, legacy }.
      return protocol.recovery
        ? { token: protocol.token, legacy: false, recovery: true }
        : { token: protocol.token, legacy: false };
    }
  }
  if (offered.length === 0) return LEGACY;
  // Browsers fail a handshake whose answer is missing or was not offered, so
  // a legacy client that offered protocols of its own gets one of them back:
  // one that carries no token when there is one (a token is never echoed).
  const answer =
    offered.find((p) =>
      !p.startsWith(TOKEN_PROTOCOL_PREFIX) && !p.startsWith(SESSION_PROTOCOL_PREFIX)
    ) ?? offered[0];
  return { token: answer, legacy: true };
}

/**
 * The protocols a client passes to `new WebSocket(url, protocols)`: every
 * ssocket token, then the application's own (never twice).
 */
export function offeredProtocols(extra?: string | string[]): string[] {
  const own = SUBPROTOCOLS.map((protocol) => protocol.token);
  const more = extra === undefined ? [] : typeof extra === "string" ? [extra] : extra;
  return [...own, ...more.filter((token) => !own.includes(token))];
}
