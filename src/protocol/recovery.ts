/**
 * The wire side of missed-message recovery, shared by server and client:
 * the reserved events, the `$session` payload and how a client presents the
 * session it wants back. Pure: no I/O, no timers.
 *
 * A connection that negotiated `ssocket.recovery.v1` gets a `$session` frame
 * first. Every frame after it has a **frame number**: 1, 2, 3… counted by
 * both sides in the order frames are sent and received, so no byte of any
 * frame changes (and frames packed into one message count one each). The
 * client acknowledges with `$ack` frames and, after a drop, reconnects
 * offering `ssocket.session.<token>.<last frame number processed>`.
 *
 * @example
 * ```ts
 * import { parseResume, resumeProtocol } from "./recovery.ts";
 * const offer = resumeProtocol("0b6f…-id.c2VjcmV0", 42);
 * console.log(parseResume(`ssocket.recovery.v1, ${offer}`)); // { token: "0b6f…-id.c2VjcmV0", seq: 42 }
 * ```
 * @module
 */

import { parseProtocolHeader, SESSION_PROTOCOL_PREFIX } from "./subprotocol.ts";

/** The first frame on a recovery connection: which session it is, and whether it resumed. */
export const SESSION_EVENT = "$session";
/** A client's acknowledgement: the payload is the number of the last frame it processed. */
export const ACK_EVENT = "$ack";

/** Why a connection did not get its session back. */
export type ResetReason =
  /** No session under that id: never existed, its window passed, or the server restarted. */
  | "unknown"
  /** The id exists but the secret, the identity or the frame number does not match (or it was used). */
  | "refused"
  /** Frames waiting for the client outgrew `recovery.maxBytes`. */
  | "overflow";

/** The payload of a `$session` frame. */
export interface SessionInfo {
  /** The connection id (the same as before when resumed). */
  id: string;
  /** The secret to present next time; a new one after every resume, the old one is refused. */
  token: string;
  /** True when the connection is the one the client asked for, with its rooms, data and frames. */
  resumed: boolean;
  /** On a resume: how many frames follow that were missed (they come right after this frame). */
  replay?: number;
  /** When a resume was asked for and refused: why. */
  reason?: ResetReason;
  /** On a resume on another node: calls in flight before the drop cannot resume there. */
  moved?: boolean;
}

/** A session a client asks for: its token and the number of the last frame it processed. */
export interface ResumeRequest {
  token: string;
  seq: number;
}

/** Session tokens are `<uuid>.<base64url secret>`: only these characters, so a subprotocol holds one. */
const TOKEN = /^[0-9a-f-]{36}\.[A-Za-z0-9_-]{16,128}$/;

/** The subprotocol a client adds to resume `token` after frame `seq`. */
export function resumeProtocol(token: string, seq: number): string {
  return `${SESSION_PROTOCOL_PREFIX}${token}.${seq}`;
}

/** The session a `Sec-WebSocket-Protocol` header asks to resume, if it is well-formed. */
export function parseResume(header: string | null): ResumeRequest | undefined {
  const offer = parseProtocolHeader(header).find((p) => p.startsWith(SESSION_PROTOCOL_PREFIX));
  if (!offer) return undefined;
  const rest = offer.slice(SESSION_PROTOCOL_PREFIX.length);
  const cut = rest.lastIndexOf(".");
  const token = rest.slice(0, cut);
  const seq = Number(rest.slice(cut + 1));
  if (cut < 0 || !TOKEN.test(token) || !Number.isSafeInteger(seq) || seq < 0) return undefined;
  return { token, seq };
}

/** Splits a session token into the connection id and the secret. */
export function splitToken(token: string): { id: string; secret: string } {
  const cut = token.indexOf(".");
  return { id: token.slice(0, cut), secret: token.slice(cut + 1) };
}
