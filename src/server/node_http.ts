/**
 * Between `node:http` and the web's `Request` / `Response`, for the ws
 * transport: a node request becomes the `Request` that `handleHttp`,
 * admission and authenticators take, and a `Response` is written back to a
 * node response or, for a refused handshake, straight onto the socket.
 *
 * @example
 * ```ts ignore
 * const request = toRequest(req, false);
 * await writeResponse(res, await handleHttp(runtime, routes, request), req.method);
 * ```
 * @module
 */

import { Buffer } from "node:buffer";
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";

/** The web request of a node request's head; `body` for methods that carry one. */
export function toRequest(
  req: IncomingMessage,
  secure: boolean,
  body?: Uint8Array<ArrayBuffer>,
): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const scheme = secure ? "https" : "http";
  const url = `${scheme}://${req.headers.host ?? "localhost"}${req.url ?? "/"}`;
  return new Request(url, { method: req.method ?? "GET", headers, body });
}

/**
 * The body of a node request, or undefined when it is larger than `limit`
 * bytes (reading stops there).
 */
export async function readBody(
  req: IncomingMessage,
  limit: number,
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** Writes `response` to a node response (no body for HEAD). */
export async function writeResponse(
  res: ServerResponse,
  response: Response,
  method = "GET",
): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, { ...headersOf(response), "content-length": body.length });
  res.end(method === "HEAD" ? undefined : body);
}

/**
 * Answers a handshake on its raw socket with `response` and closes it: the
 * upgrade path has no node response to write to.
 */
export async function refuseSocket(socket: Socket, response: Response): Promise<void> {
  // The peer may reset first; that is no error of the server's.
  socket.on("error", () => {});
  const body = Buffer.from(await response.arrayBuffer());
  const text = response.statusText || STATUS_CODES[response.status] || "Refused";
  const lines = [`HTTP/1.1 ${response.status} ${text}`];
  for (const [name, value] of Object.entries(headersOf(response))) {
    for (const one of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${one}`);
  }
  lines.push("connection: close", `content-length: ${body.length}`, "", "");
  socket.end(Buffer.concat([Buffer.from(lines.join("\r\n")), body]));
  socket.destroySoon?.();
}

function headersOf(response: Response): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "content-length" && name !== "connection") out[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) out["set-cookie"] = cookies;
  return out;
}
