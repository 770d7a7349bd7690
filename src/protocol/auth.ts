/**
 * How a token travels with a WebSocket upgrade. Browsers cannot set headers
 * on a WebSocket, so a token goes either in `Sec-WebSocket-Protocol`, as the
 * subprotocol `ssocket.token.<token>` offered next to plain `ssocket` (which
 * the server answers with, so the token is never echoed), or in the `token`
 * query parameter. Pure: shared by the server and the client.
 *
 * @example
 * ```ts
 * import { placeToken, tokenFromProtocols } from "./auth.ts";
 * const { protocols } = placeToken("ws://h/", undefined, "abc.def.ghi");
 * console.log(protocols); // ["ssocket", "ssocket.token.abc.def.ghi"]
 * console.log(tokenFromProtocols(protocols.join(", "))); // "abc.def.ghi"
 * ```
 * @module
 */

/** The subprotocol the server answers with when a client offers it. */
export const PROTOCOL = "ssocket";
/** The prefix of the subprotocol that carries a token. */
export const TOKEN_PROTOCOL_PREFIX = "ssocket.token.";
/** The query parameter that carries a token. */
export const TOKEN_PARAM = "token";
/** The event of a re-authentication frame; `$` names belong to the runtime. */
export const AUTH_EVENT = "$auth";

/** Characters allowed in a subprotocol (an HTTP token, RFC 9110); JWTs use only these. */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Where a client puts `token`: in the subprotocols when it is a valid HTTP
 * token (JWTs are), else in the `token` query parameter.
 */
export function placeToken(
  url: string,
  protocols: string | string[] | undefined,
  token: string,
): { url: string; protocols: string[] } {
  const offered = protocols === undefined ? [] : [protocols].flat();
  if (HTTP_TOKEN.test(token)) {
    const others = offered.filter((p) => p !== PROTOCOL && !p.startsWith(TOKEN_PROTOCOL_PREFIX));
    return { url, protocols: [PROTOCOL, ...others, TOKEN_PROTOCOL_PREFIX + token] };
  }
  const withParam = new URL(url);
  withParam.searchParams.set(TOKEN_PARAM, token);
  return { url: withParam.href, protocols: offered };
}

/** The subprotocols offered in a `Sec-WebSocket-Protocol` header value. */
export function offeredProtocols(header: string | null): string[] {
  if (!header) return [];
  return header.split(",").map((p) => p.trim()).filter((p) => p !== "");
}

/** The token offered as a subprotocol, if any. */
export function tokenFromProtocols(header: string | null): string | undefined {
  const carrier = offeredProtocols(header).find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
  return carrier?.slice(TOKEN_PROTOCOL_PREFIX.length) || undefined;
}

/**
 * The subprotocol to answer with: browsers fail a connection whose answer is
 * missing or was not offered. `ssocket` when offered, else the first offered
 * one that carries no token, else the token carrier itself (a raw client
 * that offered nothing else).
 */
export function chooseProtocol(header: string | null): string | undefined {
  const offered = offeredProtocols(header);
  if (offered.length === 0) return undefined;
  if (offered.includes(PROTOCOL)) return PROTOCOL;
  return offered.find((p) => !p.startsWith(TOKEN_PROTOCOL_PREFIX)) ?? offered[0];
}
