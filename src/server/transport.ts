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
 * not apply. Deno reports the bytes queued on a socket, not its messages,
 * which cost far more: `denoSocket` estimates them for the output cap.
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
import type { Connection, SocketLike } from "./connection.ts";
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
  const { socket: ws, response } = upgraded;
  ws.binaryType = "arraybuffer";
  const socket = denoSocket(ws);
  let connection: Connection | undefined;
  ws.onopen = () => {
    connection = runtime.accept(socket, accepted, legacy, pack, start);
  };
  ws.onmessage = (event) => {
    // After a resume elsewhere, the old socket's last messages are not the session's.
    if (connection?.holds(socket)) runtime.receive(connection, event.data);
  };
  ws.onclose = (event) => {
    release();
    if (connection) runtime.disconnect(connection, event.code, event.reason, socket);
  };
  // An error is always followed by close, where cleanup happens.
  ws.onerror = () => {};
  return response;
}

/**
 * Memory one message queued on a Deno server WebSocket holds besides its
 * payload: each `send` copies the payload and spawns a task that waits for
 * the socket's write lock. Measured on Deno 2.9.6: 1,001-1,056 bytes of RSS
 * per queued 33-byte message, none of it in the JS heap. Counted at its
 * bytes alone, a flood of tiny replies to a client that does not read held
 * ~127,000 of them, ~125 MiB, under 4 MiB of `bufferedAmount`.
 */
const DENO_MESSAGE_COST = 1024;

/**
 * A Deno WebSocket as the connection sees it, with an estimate of the
 * messages queued on it. Deno reports only their bytes (`bufferedAmount`)
 * and writes a socket's messages in order. So the socket remembers what was
 * queued when it last looked (bytes, and the messages it estimated then) and
 * counts what it sent since; when asked, what was written since came off the
 * older part first, and within each part the messages left are taken to have
 * that part's average size. Exact when the messages of a part are alike (a
 * flood of replies); an empty queue restarts the count. A send costs two
 * additions; the op call happens only when a limit asks.
 *
 * @param ws an upgraded server socket
 * @returns the socket the runtime writes to
 */
export function denoSocket(ws: WebSocket): SocketLike {
  let earlierMessages = 0;
  let earlierBytes = 0;
  let sentMessages = 0;
  let sentBytes = 0;
  return {
    get readyState() {
      return ws.readyState;
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    get queuedMessages() {
      const buffered = ws.bufferedAmount;
      const written = earlierBytes + sentBytes - buffered;
      const queued = buffered === 0
        ? 0
        : written <= earlierBytes
        ? left(earlierMessages, earlierBytes - written, earlierBytes) + sentMessages
        : left(sentMessages, buffered, sentBytes);
      earlierMessages = queued;
      earlierBytes = buffered;
      sentMessages = 0;
      sentBytes = 0;
      return queued;
    },
    messageCost: DENO_MESSAGE_COST,
    send(data) {
      ws.send(data);
      sentMessages++;
      sentBytes += data.byteLength;
    },
    close: (code, reason) => ws.close(code, reason),
  };
}

/** Of `messages` that were `bytes` long, how many `remaining` bytes hold (partly sent ones count). */
function left(messages: number, remaining: number, bytes: number): number {
  if (remaining >= bytes) return messages;
  return Math.ceil(messages * remaining / bytes);
}
