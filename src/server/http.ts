/**
 * Plain HTTP requests (anything that is not a WebSocket upgrade): the browser
 * client at `/ssocket.js` (with its source map), extra routes, health,
 * metrics and the status page (ops.ts), static files from `staticFolder`, and
 * otherwise a small JSON status instead of an error (listing the events only
 * with `statusShowsEvents`).
 *
 * @example
 * ```ts ignore
 * const response = await handleHttp(server, routes, request);
 * ```
 * @module
 */

import { extname, join, normalize, resolve, sep } from "node:path";
import { VERSION } from "../version.ts";
import type { Runtime } from "./runtime.ts";
import { opsResponse } from "./ops.ts";

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

/** Where the browser client is served. */
export const CLIENT_PATH = "/ssocket.js";
/** Where its source map is served (the bundle's `sourceMappingURL` points here). */
export const CLIENT_MAP_PATH = "/ssocket.js.map";

// The bundle is committed (see src/client/build.ts), so serving it needs
// neither a build at start-up nor --allow-run. fetch() rather than a file
// read, so it also works when ssocket itself is imported from a remote URL.
const CLIENT_DIST = new URL("../client/dist/", import.meta.url);

function asset(file: string, type: string): HttpRoute {
  return async () => {
    let body: ArrayBuffer;
    try {
      // A missing file: URL throws; a missing https: URL answers 404.
      const response = await fetch(new URL(file, CLIENT_DIST));
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`HTTP ${response.status}`);
      }
      body = await response.arrayBuffer();
    } catch {
      return new Response(`${file} is missing; run \`deno task build:client\``, { status: 500 });
    }
    // no-cache: browsers revalidate, so a restarted server's new client is picked up.
    return new Response(body, { headers: { "content-type": type, "cache-control": "no-cache" } });
  };
}

/**
 * Routes every server has, below the `routes` given to `serve()` (which can
 * replace them) and above the static folder: the client bundle and its map.
 */
export const DEFAULT_ROUTES: ReadonlyMap<string, HttpRoute> = new Map([
  [CLIENT_PATH, asset("ssocket.js", CONTENT_TYPES[".js"])],
  [CLIENT_MAP_PATH, asset("ssocket.js.map", CONTENT_TYPES[".map"])],
]);

/** Answers a non-WebSocket request. */
export async function handleHttp(
  server: Runtime,
  routes: ReadonlyMap<string, HttpRoute>,
  request: Request,
): Promise<Response> {
  const { pathname } = new URL(request.url);
  const route = routes.get(pathname) ??
    (request.method === "GET" || request.method === "HEAD"
      ? DEFAULT_ROUTES.get(pathname)
      : undefined);
  if (route) {
    const response = await route(request);
    if (route !== DEFAULT_ROUTES.get(pathname)) return response;
    // The client bundle is meant to be imported by pages of other sites too.
    const origin = allowOrigin(server.config.allowedOrigins, request.headers.get("origin"));
    if (origin) response.headers.set("access-control-allow-origin", origin);
    if (server.config.allowedOrigins !== "") response.headers.append("vary", "Origin");
    return response;
  }
  const ops = opsResponse(server, request, pathname);
  if (ops) return await ops;
  if (request.method === "GET" || request.method === "HEAD") {
    const file = await staticFile(server.config.staticFolder, pathname);
    if (file) return file;
  }
  return Response.json({
    name: "ssocket",
    version: VERSION,
    websocket: "connect with a WebSocket to this URL",
    connections: server.hub.connections.size,
    ...(server.config.statusShowsEvents ? { events: server.plugs.events() } : {}),
  });
}

/**
 * The `Access-Control-Allow-Origin` of `/ssocket.js` and its map: `*`
 * without an `allowedOrigins` list; with one, the request's origin if it is
 * listed, else none (so a browser refuses the import, as the WebSocket would
 * be refused).
 *
 * @example
 * ```ts
 * import { allowOrigin } from "./http.ts";
 * console.log(allowOrigin("", "https://a.example")); // "*"
 * console.log(allowOrigin("https://a.example", "https://a.example")); // "https://a.example"
 * console.log(allowOrigin("https://a.example", "https://b.example")); // undefined
 * ```
 */
export function allowOrigin(allowed: string, origin: string | null): string | undefined {
  if (allowed === "") return "*";
  if (origin === null) return undefined;
  return allowed.split(",").some((entry) => entry.trim() === origin) ? origin : undefined;
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
