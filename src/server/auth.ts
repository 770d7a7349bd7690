/**
 * Who may connect. Before a WebSocket is accepted, the upgrade's token (the
 * `token` query parameter or the `ssocket.token.<token>` subprotocol) is
 * verified as an HS256 JWT when `auth.jwtSecret` is set (with `npm:jose`:
 * signature, `exp`, `nbf`), then the authenticator registered with
 * `server.authenticate` decides. A connection whose token carries `exp` is
 * closed with 4001 at that time unless a `$auth` frame brings a fresh token.
 *
 * @example
 * ```ts ignore
 * const verdict = await authenticateUpgrade(runtime, request, info.remoteAddr);
 * if (verdict instanceof Response) return verdict; // 401, or the authenticator's own
 * ```
 * @module
 */

import { errors as joseErrors, jwtVerify } from "jose";
import type { Authenticator, Identity } from "../plugs/api.ts";
import { TOKEN_PARAM, tokenFromProtocols } from "../protocol/auth.ts";
import { CloseCode, ErrorCode, ProtocolError } from "../protocol/errors.ts";
import { fields } from "../log.ts";
import type { Connection } from "./connection.ts";
import type { Runtime } from "./runtime.ts";

/** An accepted upgrade: who it is and until when (ms since the epoch), if the token says. */
export interface Accepted {
  identity?: Identity;
  expiresAt?: number;
}

const encoder = new TextEncoder();
/** setTimeout's largest delay; later expiries re-arm when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The upgrade's token: the query parameter first, then the subprotocol. */
export function tokenOf(request: Request): string | undefined {
  const fromQuery = new URL(request.url).searchParams.get(TOKEN_PARAM);
  if (fromQuery) return fromQuery;
  return tokenFromProtocols(request.headers.get("sec-websocket-protocol"));
}

/**
 * Verifies an HS256 JWT and returns its claims.
 *
 * @throws {ProtocolError} `AUTH_FAILED`, saying why (expired, not yet valid, bad signature…)
 */
export async function verifyJwt(token: string, secret: string): Promise<Identity> {
  try {
    const { payload } = await jwtVerify(token, encoder.encode(secret), { algorithms: ["HS256"] });
    return payload as Identity;
  } catch (err) {
    const reason = err instanceof joseErrors.JWTExpired
      ? "the token has expired"
      : err instanceof joseErrors.JWTClaimValidationFailed
      ? `claim "${err.claim}" failed: ${err.reason}`
      : err instanceof joseErrors.JWSSignatureVerificationFailed
      ? "the signature does not verify"
      : "it is not a valid HS256 JWT";
    throw new ProtocolError(ErrorCode.AUTH_FAILED, `Token refused: ${reason}`);
  }
}

/**
 * Runs the JWT check and the authenticator for one upgrade.
 *
 * @returns who connected, or the response that refuses the upgrade
 */
export async function authenticateUpgrade(
  runtime: Runtime,
  request: Request,
  remoteAddr: Deno.NetAddr,
): Promise<Accepted | Response> {
  const secret = runtime.config.auth.jwtSecret;
  const authenticator: Authenticator | undefined = runtime.authenticator;
  if (!secret && !authenticator) return {};
  const token = tokenOf(request);
  const refuse = (reason: string) => {
    runtime.metrics && runtime.metrics.authRefused++;
    runtime.log.info(
      `Refused a WebSocket: ${reason}`,
      fields({ code: ErrorCode.AUTH_FAILED, remote: remoteAddr.hostname }),
    );
    return new Response(`Unauthorized: ${reason}\n`, { status: 401 });
  };
  let claims: Identity | undefined;
  if (secret) {
    if (!token) return refuse("no token");
    try {
      claims = await verifyJwt(token, secret);
    } catch (err) {
      return refuse((err as Error).message);
    }
  }
  const expiresAt = typeof claims?.exp === "number" ? claims.exp * 1000 : undefined;
  if (!authenticator) return { identity: Object.freeze({ ...claims }), expiresAt };
  let verdict: Identity | false | Response;
  try {
    verdict = await authenticator(request, { remoteAddr, token, claims });
  } catch (err) {
    runtime.log.warn("The authenticator threw; refusing the upgrade:", err);
    return refuse("the authenticator threw");
  }
  if (verdict instanceof Response) {
    runtime.metrics && runtime.metrics.authRefused++;
    return verdict;
  }
  if (verdict === false || verdict === null || typeof verdict !== "object") {
    return refuse("the authenticator said no");
  }
  return { identity: Object.freeze({ ...verdict }), expiresAt };
}

/**
 * Handles a `$auth` frame `{ token }`: a fresh JWT for the same subject moves
 * the connection's expiry. Without an authenticator of its own the identity
 * becomes the new claims.
 *
 * @returns the new expiry, in seconds since the epoch (null when none)
 * @throws {ProtocolError} `AUTH_FAILED`
 */
export async function reauthenticate(
  runtime: Runtime,
  connection: Connection,
  payload: unknown,
): Promise<{ exp: number | null }> {
  const secret = runtime.config.auth.jwtSecret;
  if (!secret) {
    throw new ProtocolError(
      ErrorCode.AUTH_FAILED,
      "This server takes no tokens (no auth.jwtSecret)",
    );
  }
  const token = (payload as { token?: unknown } | undefined)?.token;
  if (typeof token !== "string" || token === "") {
    throw new ProtocolError(ErrorCode.AUTH_FAILED, "Send { token } to re-authenticate");
  }
  const claims = await verifyJwt(token, secret);
  const before = connection.identity;
  if (before?.sub !== undefined && claims.sub !== before.sub) {
    throw new ProtocolError(ErrorCode.AUTH_FAILED, "The new token is for another subject");
  }
  if (!runtime.authenticator) connection.identity = Object.freeze({ ...claims });
  const exp = typeof claims.exp === "number" ? claims.exp : null;
  armExpiry(connection, exp === null ? undefined : exp * 1000);
  return { exp };
}

/** Closes `connection` with 4001 at `expiresAt` (ms since the epoch); undefined disarms. */
export function armExpiry(connection: Connection, expiresAt: number | undefined): void {
  connection.setExpiryTimer(undefined);
  if (expiresAt === undefined) return;
  const delay = expiresAt - Date.now();
  if (delay <= 0) {
    connection.close(CloseCode.TOKEN_EXPIRED, "Token expired");
    return;
  }
  connection.setExpiryTimer(
    setTimeout(() => {
      if (Date.now() >= expiresAt) connection.close(CloseCode.TOKEN_EXPIRED, "Token expired");
      else armExpiry(connection, expiresAt);
    }, Math.min(delay, MAX_TIMER_MS)),
  );
}
