/**
 * The Deno transport: `Deno.serve` plus `Deno.upgradeWebSocket`, wired to a
 * {@linkcode Runtime}. Thin on purpose: it checks the origin, refuses
 * upgrades while draining, asks auth.ts who is connecting, upgrades, and
 * passes sockets, messages and closes through; everything else happens in
 * the runtime.
 *
 * @example
 * ```ts ignore
 * import { listen } from "./transport.ts";
 * listen(runtime, new Map());
 * console.log(runtime.url);
 * ```
 * @module
 */

import { negotiate } from "../protocol/subprotocol.ts";
import { parseResume, type ResumeRequest } from "../protocol/recovery.ts";
import { fields } from "../log.ts";
import { type Accepted, authenticateUpgrade } from "./auth.ts";
import type { Connection } from "./connection.ts";
import { handleHttp, type HttpRoute } from "./http.ts";
import type { RecoveryStart, Runtime } from "./runtime.ts";

/** Starts listening as the config says; `runtime.close()` stops it. */
export function listen(runtime: Runtime, routes: ReadonlyMap<string, HttpRoute>): void {
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
  runtime.log.info(`Listening on ${runtime.url}`);
  runtime.addCloser(() => http.shutdown());
}

async function upgrade(
  runtime: Runtime,
  request: Request,
  remoteAddr: Deno.NetAddr,
): Promise<Response> {
  const origin = request.headers.get("origin");
  if (!originAllowed(runtime.config.allowedOrigins, origin)) {
    runtime.log.warn(`Refused a WebSocket from origin ${origin ?? "(none)"}`);
    return new Response("Origin not allowed", { status: 403 });
  }
  if (runtime.draining) return new Response("Shutting down", { status: 503 });
  let accepted: Accepted = {};
  if (runtime.authenticator || runtime.config.auth.jwtSecret) {
    const verdict = await authenticateUpgrade(runtime, request, remoteAddr);
    if (verdict instanceof Response) return verdict;
    accepted = verdict;
  }
  // Without an ssocket token the client speaks the original format.
  const offer = request.headers.get("sec-websocket-protocol");
  const { token, legacy, pack, recovery } = negotiate(offer, runtime.sessions !== undefined);
  let start: RecoveryStart | undefined;
  if (recovery) {
    const resume = parseResume(offer);
    start = resume ? await claim(runtime, resume, accepted) : {};
  }
  const { socket, response } = Deno.upgradeWebSocket(request, {
    idleTimeout: runtime.config.idleTimeout,
    protocol: token,
  });
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
    if (connection) runtime.disconnect(connection, event.code, event.reason, socket);
  };
  // An error is always followed by close, where cleanup happens.
  socket.onerror = () => {};
  return response;
}

/** Checks a resume request; a refused one starts a fresh session that says why. */
async function claim(
  runtime: Runtime,
  resume: ResumeRequest,
  accepted: Accepted,
): Promise<RecoveryStart> {
  // Local sessions answer at once; one held by another node is taken over first.
  const claimed = await runtime.sessions!.claim(resume, accepted.identity);
  if (typeof claimed !== "string") return claimed;
  runtime.log.info(`Refused to resume a session (${claimed})`, fields({ reason: claimed }));
  return { reason: claimed };
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
