/**
 * The transports: `listen` starts the one `config.transport` names. This
 * file is the Deno transport, `Deno.serve` plus `Deno.upgradeWebSocket`;
 * `transport_ws.ts` is the ws one. Thin on purpose: admission.ts decides
 * each handshake (origin, draining, connection limits, auth, subprotocol)
 * for both; this upgrades and passes sockets, messages and closes through;
 * everything else happens in the runtime.
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

import { admit } from "./admission.ts";
import type { Connection } from "./connection.ts";
import { handleHttp, type HttpRoute } from "./http.ts";
import type { Runtime } from "./runtime.ts";

/**
 * Starts listening with the configured transport; `runtime.close()` stops it.
 * The ws transport is imported only when chosen, like the Redis client: a
 * plug's `import "ssocket"` in a Worker must not load npm `ws`, which reads
 * environment variables a Worker may not.
 */
export async function listen(
  runtime: Runtime,
  routes: ReadonlyMap<string, HttpRoute>,
): Promise<void> {
  if (runtime.config.transport === "ws") {
    const { listenWs } = await import("./transport_ws.ts");
    return listenWs(runtime, routes);
  }
  listenDeno(runtime, routes);
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
      return upgrade(runtime, request, info.remoteAddr as Deno.NetAddr);
    }
    return handleHttp(runtime, routes, request);
  });
  const addr = http.addr as Deno.NetAddr;
  runtime.addr = { hostname: addr.hostname, port: addr.port, secure };
  runtime.log.info(`Listening on ${runtime.url} (transport deno)`);
  runtime.addCloser(() => http.shutdown());
}

async function upgrade(
  runtime: Runtime,
  request: Request,
  remoteAddr: Deno.NetAddr,
): Promise<Response> {
  const verdict = await admit(runtime, request, remoteAddr);
  if (verdict instanceof Response) return verdict;
  const { accepted, token, legacy, pack, start, release } = verdict;
  let upgraded;
  try {
    upgraded = Deno.upgradeWebSocket(request, {
      idleTimeout: runtime.config.idleTimeout,
      protocol: token,
    });
  } catch (err) {
    release();
    throw err;
  }
  const { socket, response } = upgraded;
  socket.binaryType = "arraybuffer";
  let connection: Connection | undefined;
  socket.onopen = () => {
    connection = runtime.accept(socket, accepted, legacy, pack, start);
  };
  socket.onmessage = (event) => {
    // After a resume elsewhere, the old socket's last messages are not the session's.
    if (connection?.holds(socket)) runtime.receive(connection, event.data);
  };
  socket.onclose = (event) => {
    release();
    if (connection) runtime.disconnect(connection, event.code, event.reason, socket);
  };
  // An error is always followed by close, where cleanup happens.
  socket.onerror = () => {};
  return response;
}
