/**
 * Plain HTTP requests (anything that is not a WebSocket upgrade): static
 * files from `staticFolder`, extra routes such as the client library, and
 * otherwise a small JSON status instead of an error.
 *
 * @example
 * ```ts ignore
 * const response = await handleHttp(server, routes, request);
 * ```
 * @module
 */

import { extname, join, normalize, resolve, sep } from "node:path";
import { VERSION } from "../version.ts";
import type { Server } from "./server.ts";

/** A handler for one fixed path, e.g. `/ssocket.js`. */
export type HttpRoute = (request: Request) => Response | Promise<Response>;

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/** Answers a non-WebSocket request. */
export async function handleHttp(
  server: Server,
  routes: ReadonlyMap<string, HttpRoute>,
  request: Request,
): Promise<Response> {
  const { pathname } = new URL(request.url);
  const route = routes.get(pathname);
  if (route) return await route(request);
  if (request.method === "GET" || request.method === "HEAD") {
    const file = await staticFile(server.config.staticFolder, pathname);
    if (file) return file;
  }
  return Response.json({
    name: "ssocket",
    version: VERSION,
    websocket: "connect with a WebSocket to this URL",
    connections: server.connectionCount,
    events: server.plugs.events(),
  });
}

async function staticFile(folder: string, pathname: string): Promise<Response | undefined> {
  if (!folder) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0")) return undefined;
  const root = resolve(folder);
  const relative = normalize(decoded.endsWith("/") ? decoded + "index.html" : decoded);
  const path = join(root, relative);
  if (path !== root && !path.startsWith(root + sep)) return undefined;
  try {
    const body = await Deno.readFile(path);
    const type = CONTENT_TYPES[extname(path)] ?? "application/octet-stream";
    return new Response(body, { headers: { "content-type": type } });
  } catch {
    return undefined;
  }
}
