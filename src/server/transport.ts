/**
 * The transports: `listen` starts the one `config.transport` names. This
 * file is the Deno transport, `Deno.serve` plus `Deno.upgradeWebSocket`;
 * `transport_ws.ts` is the ws one. Thin on purpose: it checks the origin and
 * the connection limits, upgrades, and passes sockets, messages and closes
 * through; everything else happens in the runtime.
 *
 * Deno's server WebSocket buffers whole messages and cannot stop reading a
 * socket, and `Deno.serve` has no header timeout: with this transport
 * `payloadLimit` is checked on complete messages only, a client that is
 * behind has its messages held (and is closed past `limits.maxBufferedBytes`
 * of them) rather than its socket paused, and `limits.headerTimeout` does
 * not apply.
 *
 * @example
 * ```ts ignore
 * import { listen } from "./transport.ts";
 * await listen(runtime, new Map());
 * console.log(runtime.url);
 * ```
 * @module
 */

import type { Connection } from "./connection.ts";
import { handleHttp, type HttpRoute } from "./http.ts";
import type { Runtime } from "./runtime.ts";
import { listenWs } from "./transport_ws.ts";

/** Starts listening with the configured transport; `runtime.close()` stops it. */
export function listen(runtime: Runtime, routes: ReadonlyMap<string, HttpRoute>): Promise<void> {
  if (runtime.config.transport === "ws") return listenWs(runtime, routes);
  listenDeno(runtime, routes);
  return Promise.resolve();
}

/**
 * The HTTP answer refusing a handshake from `ip` over the connection limits
 * (503 for `maxConnections`, 429 for `maxConnectionsPerIp`), counted; or
 * undefined after admitting it, to be released when the socket closes.
 */
export function admissionResponse(
  runtime: Runtime,
  ip: string,
): { status: number; text: string } | undefined {
  const verdict = runtime.gate.admit(ip);
  if (verdict === "ok") return undefined;
  if (verdict === "total") {
    runtime.counters.refusedTotal++;
    return { status: 503, text: "Too many connections" };
  }
  runtime.counters.refusedPerIp++;
  return { status: 429, text: "Too many connections from this address" };
}

function listenDeno(runtime: Runtime, routes: ReadonlyMap<string, HttpRoute>): void {
  const { config } = runtime;
  const secure = config.secure;
  const where = secure ? config.TLS : config.INSECURE;
  const tls = secure
    ? {
      cert: Deno.readTextFileSync(config.TLS.certFile),
      key: Deno.readTextFileSync(config.TLS.keyFile),
    }
    : {};
  const http = Deno.serve({
    port: where.port,
    hostname: where.hostname,
    ...tls,
    onListen: () => {},
  }, (request, info) => {
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      return upgrade(runtime, request, (info.remoteAddr as Deno.NetAddr).hostname);
    }
    return handleHttp(runtime, routes, request);
  });
  const addr = http.addr as Deno.NetAddr;
  runtime.addr = { hostname: addr.hostname, port: addr.port, secure };
  runtime.log.info(`Listening on ${runtime.url} (transport deno)`);
  runtime.addCloser(() => http.shutdown());
}

function upgrade(runtime: Runtime, request: Request, ip: string): Response {
  const origin = request.headers.get("origin");
  if (!originAllowed(runtime.config.allowedOrigins, origin)) {
    runtime.log.warn(`Refused a WebSocket from origin ${origin ?? "(none)"}`);
    return new Response("Origin not allowed", { status: 403 });
  }
  const refused = admissionResponse(runtime, ip);
  if (refused) return new Response(refused.text, { status: refused.status });
  let upgraded;
  try {
    upgraded = Deno.upgradeWebSocket(request, { idleTimeout: runtime.config.idleTimeout });
  } catch (err) {
    runtime.gate.release(ip);
    throw err;
  }
  const { socket, response } = upgraded;
  socket.binaryType = "arraybuffer";
  let connection: Connection | undefined;
  socket.onopen = () => {
    connection = runtime.accept(socket);
  };
  socket.onmessage = (event) => {
    if (connection) runtime.receive(connection, event.data);
  };
  socket.onclose = (event) => {
    runtime.gate.release(ip);
    if (connection) runtime.disconnect(connection, event.code, event.reason);
  };
  // An error is always followed by close, where cleanup happens.
  socket.onerror = () => {};
  return response;
}

/**
 * True when `origin` may open a WebSocket. Browsers always send Origin, so a
 * list stops other sites' pages from connecting with the user's cookies;
 * non-browser clients send none and are let through.
 */
export function originAllowed(allowed: string, origin: string | null): boolean {
  if (allowed === "" || origin === null) return true;
  return allowed.split(",").some((entry) => entry.trim() === origin);
}
