/**
 * How a token travels with a WebSocket upgrade. Browsers cannot set headers
 * on a WebSocket, so a token goes either in `Sec-WebSocket-Protocol`, as the
 * subprotocol `ssocket.token.<token>` offered after ssocket's own tokens
 * (which the server answers with, so the token is never echoed; see
 * `subprotocol.ts`), or in the `token` query parameter. Pure: shared by the
 * server and the client.
 *
 * @example
 * ```ts
 * import { placeToken, tokenFromProtocols } from "./auth.ts";
 * const { protocols } = placeToken("ws://h/", ["ssocket.v1"], "abc.def.ghi");
 * console.log(protocols); // ["ssocket.v1", "ssocket.token.abc.def.ghi"]
 * console.log(tokenFromProtocols(protocols.join(", "))); // "abc.def.ghi"
 * ```
 * @module
 */

import { parseProtocolHeader, TOKEN_PROTOCOL_PREFIX } from "./subprotocol.ts";

export { TOKEN_PROTOCOL_PREFIX };

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
  protocols: string[],
  token: string,
): { url: string; protocols: string[] } {
  if (HTTP_TOKEN.test(token)) {
    const others = protocols.filter((p) => !p.startsWith(TOKEN_PROTOCOL_PREFIX));
    return { url, protocols: [...others, TOKEN_PROTOCOL_PREFIX + token] };
  }
  const withParam = new URL(url);
  withParam.searchParams.set(TOKEN_PARAM, token);
  return { url: withParam.href, protocols };
}

/** The token offered as a subprotocol, if any. */
export function tokenFromProtocols(header: string | null): string | undefined {
  const carrier = parseProtocolHeader(header).find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
  return carrier?.slice(TOKEN_PROTOCOL_PREFIX.length) || undefined;
}
