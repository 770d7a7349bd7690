/**
 * The ws transport: npm `ws` 8 over `node:http` / `node:https`, wired to a
 * {@linkcode Runtime} like the Deno transport. It exists for what
 * `Deno.upgradeWebSocket` cannot do: `payloadLimit` enforced while a
 * message is received (`maxPayload`, close 1009, however the message is
 * fragmented), reading paused while a client is behind (`socket.pause()`),
 * a socket dropped at once with its queue (`terminate()`), a header timeout
 * and connection limits checked on the TCP connection itself.
 *
 * @example
 * ```ts ignore
 * import { listenWs } from "./transport_ws.ts";
 * await listenWs(runtime, new Map());
 * console.log(runtime.url);
 * ```
 * @module
 */

import { Buffer } from "node:buffer";
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttps } from "node:https";
import type { AddressInfo, Socket } from "node:net";
// @ts-types="@types/ws"
import { type WebSocket, WebSocketServer } from "ws";
import { CloseCode } from "../protocol/errors.ts";
import { admit, type Admitted } from "./admission.ts";
import type { Connection, SocketLike } from "./connection.ts";
import { handleHttp, type HttpRoute } from "./http.ts";
import { readBody, refuseSocket, toRequest, writeResponse } from "./node_http.ts";
import { type Flushable, Outbox } from "./outbox.ts";
import type { Runtime } from "./runtime.ts";

/**
 * Memory one message queued on a ws socket holds besides its payload: ws's
 * frame header and the copy's Buffer objects, the stream's write request
 * and callback. Measured on Deno 2.9.6 with ws 8: 437 bytes of heap per
 * queued 33-byte message (and about 1 KiB of RSS), whose payload is 41
 * bytes of external memory. Without it a flood of tiny replies to a client
 * that does not read held ~130,000 messages, 150 MiB, under 4 MiB of
 * `bufferedAmount`.
 */
const WS_MESSAGE_COST = 512;

/** Per-socket state the server keeps until the socket closes. */
interface Pending {
  ip: string;
  timer?: ReturnType<typeof setTimeout>;
}

/** Starts listening with ws; `runtime.close()` stops it. */
export async function listenWs(
  runtime: Runtime,
  routes: ReadonlyMap<string, HttpRoute>,
): Promise<void> {
  const { config, counters } = runtime;
  const where = config.secure ? config.TLS : config.INSECURE;
  const server = config.secure
    ? createHttps({
      cert: Deno.readTextFileSync(config.TLS.certFile),
      key: Deno.readTextFileSync(config.TLS.keyFile),
      // The TLS handshake comes before the headers: the same bound.
      ...(config.limits.headerTimeout > 0 ? { handshakeTimeout: config.limits.headerTimeout } : {}),
    })
    : createHttp();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.payloadLimit,
    // Compression costs CPU per frame and lets a small frame inflate to a
    // large message; the protocol's SYNC deltas already keep frames small.
    perMessageDeflate: false,
    // One message per event-loop turn per socket: a flooding client then
    // takes turns with the others instead of running a whole read buffer
    // of frames at once.
    allowSynchronousEvents: false,
    // admission.ts has negotiated already; ws only writes the answer.
    handleProtocols: (_offered, req) => tokens.get(req) ?? false,
  });
  const tokens = new WeakMap<IncomingMessage, string>();
  const outbox = new Outbox();
  const sockets = new Map<Socket, Pending>();
  const pendingByIp = new Map<string, number>();
  const { headerTimeout, maxConnections, maxConnectionsPerIp } = config.limits;

  const settle = (socket: Socket) => {
    const pending = sockets.get(socket);
    if (pending?.timer === undefined) return;
    clearTimeout(pending.timer);
    pending.timer = undefined;
    const left = (pendingByIp.get(pending.ip) ?? 1) - 1;
    if (left > 0) pendingByIp.set(pending.ip, left);
    else pendingByIp.delete(pending.ip);
  };

  // Over TLS, requests arrive on the TLS socket, which exists once the
  // handshake is done: that is the socket to hold to the header timeout.
  server.on(config.secure ? "secureConnection" : "connection", (socket: Socket) => {
    const ip = plainIp(socket.remoteAddress ?? "");
    // Connections that have not sent their headers yet are held to the same
    // limits as WebSockets, so they cannot pile up beyond them either.
    const fromIp = pendingByIp.get(ip) ?? 0;
    const pendingTotal = sockets.size - runtime.gate.open;
    if (maxConnections > 0 && pendingTotal >= maxConnections) {
      counters.refusedTotal++;
      return refuse(socket, 503, "Too many connections");
    }
    if (maxConnectionsPerIp > 0 && fromIp + runtime.gate.openFrom(ip) >= maxConnectionsPerIp) {
      counters.refusedPerIp++;
      return refuse(socket, 429, "Too many connections from this address");
    }
    const pending: Pending = { ip };
    sockets.set(socket, pending);
    pendingByIp.set(ip, fromIp + 1);
    if (headerTimeout > 0) {
      pending.timer = setTimeout(() => {
        counters.headerTimeouts++;
        settle(socket);
        socket.destroy();
      }, headerTimeout);
    }
    socket.on("close", () => {
      settle(socket);
      sockets.delete(socket);
    });
  });

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (refusedSockets.has(req.socket)) return;
    settle(req.socket);
    answerHttp(runtime, routes, req, res).catch((err) => {
      runtime.log.warn("HTTP request failed:", err);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (refusedSockets.has(socket)) return;
    settle(socket);
    upgrade(runtime, wss, outbox, tokens, req, socket, head).catch((err) => {
      runtime.log.warn("WebSocket upgrade failed:", err);
      socket.destroy();
    });
  });

  const heartbeat = config.idleTimeout > 0
    ? setInterval(() => beat(wss), config.idleTimeout * 1000)
    : undefined;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(where.port, where.hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (err: Error) => runtime.log.warn("HTTP server error:", err));
  const addr = server.address() as AddressInfo;
  runtime.addr = { hostname: addr.address, port: addr.port, secure: config.secure };
  runtime.log.info(`Listening on ${runtime.url} (transport ws)`);
  runtime.addCloser(async () => {
    clearInterval(heartbeat);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const ws of wss.clients) ws.terminate();
    for (const [socket] of sockets) socket.destroy();
    wss.close();
    await closed;
  });
}

/** Heartbeat: a socket that sent nothing (no pong either) since the last beat is dropped. */
const ALIVE = Symbol("alive");
type Beating = WebSocket & { [ALIVE]?: boolean };

function beat(wss: WebSocketServer): void {
  for (const ws of wss.clients as Set<Beating>) {
    if (ws[ALIVE] === false) {
      // Like Deno's idleTimeout: 1001, then the socket goes at once, so a
      // peer that stopped reading cannot hold it.
      ws.close(CloseCode.GOING_AWAY, "No response from ping frame.");
      ws.terminate();
      continue;
    }
    ws[ALIVE] = false;
    ws.ping();
  }
}

/**
 * One handshake: admission.ts decides, then ws upgrades with the negotiated
 * token (through `handleProtocols`) and the socket goes to the runtime.
 */
async function upgrade(
  runtime: Runtime,
  wss: WebSocketServer,
  outbox: Outbox,
  tokens: WeakMap<IncomingMessage, string>,
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
): Promise<void> {
  const remoteAddr: Deno.NetAddr = {
    transport: "tcp",
    hostname: plainIp(socket.remoteAddress ?? ""),
    port: socket.remotePort ?? 0,
  };
  const verdict = await admit(runtime, toRequest(req, runtime.config.secure), remoteAddr);
  if (verdict instanceof Response) {
    refusedSockets.add(socket);
    return refuseSocket(socket, verdict);
  }
  // The peer may have gone while authentication ran.
  if (socket.destroyed) return verdict.release();
  if (verdict.token !== undefined) tokens.set(req, verdict.token);
  wss.handleUpgrade(req, socket, head, (ws) => accept(runtime, ws, outbox, socket, verdict));
}

/** An IPv4 peer as Deno names it: without the "::ffff:" of an IPv4-mapped IPv6 address. */
function plainIp(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

function accept(
  runtime: Runtime,
  ws: Beating,
  outbox: Outbox,
  tcp: Socket,
  admitted: Admitted,
): void {
  // Frames written in one turn leave in one writev at its end: a system call
  // per frame was most of the server's CPU on echo (see README, "Where
  // ssocket's time goes"). The uncork also runs after a close.
  let corked = false;
  const uncork: Flushable = {
    flushTurn() {
      corked = false;
      tcp.uncork();
    },
  };
  // Writes the stream has not finished (two per message: ws writes a
  // frame's header and payload apart), corked ones included. Read from the
  // stream's state when a limit asks, so a send costs nothing more: a
  // callback per send (the public way to count) cost 7% of echo's CPU.
  const state = (tcp as unknown as { _writableState?: { pendingcb: number } })._writableState;
  const socket: SocketLike = {
    get readyState() {
      return ws.readyState;
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    get queuedMessages() {
      return state ? Math.ceil(state.pendingcb / 2) : 0;
    },
    messageCost: WS_MESSAGE_COST,
    // ws keeps a reference to what it sends until the kernel has it, and the
    // hub reuses its encoder's buffer: copy.
    send: (data) => {
      if (!corked) {
        corked = true;
        tcp.cork();
        outbox.add(uncork);
      }
      ws.send(Buffer.from(data));
    },
    close: (code, reason) => ws.close(code, reason),
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    terminate: () => ws.terminate(),
  };
  const { accepted, legacy, pack, start, release } = admitted;
  const connection: Connection = runtime.accept(socket, accepted, legacy, pack, start);
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    ws[ALIVE] = true;
    // After a resume elsewhere, the old socket's last messages are not the session's.
    if (connection.holds(socket)) runtime.receive(connection, isBinary ? data : data.toString());
  });
  ws.on("pong", () => ws[ALIVE] = true);
  ws.on("error", (err: Error & { code?: string }) => {
    // ws closes the socket itself (1009 for maxPayload); count and move on.
    // ws has sent the close frame; drop the socket after the same grace
    // as other refusals, instead of reading (and discarding) for 30 s.
    if (err.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") runtime.counters.oversized++;
    else runtime.log.debug(`WebSocket ${connection.id} error: ${err.message}`);
    // After ws's own resume of the socket (next tick), so the pause holds.
    setTimeout(() => connection.holds(socket) && connection.drop(CloseCode.NORMAL, ""), 0);
  });
  ws.on("close", (code: number, reason: Buffer) => {
    release();
    runtime.disconnect(connection, code, reason.toString(), socket);
  });
}

/** Sockets already answered by `refuse`, which the HTTP parser may still hand over. */
const refusedSockets = new WeakSet<Socket>();

/** Answers a connection with an HTTP status before its request is read, and drops it. */
function refuse(socket: Socket, status: number, text: string): void {
  if (refusedSockets.has(socket)) return;
  refusedSockets.add(socket);
  refuseSocket(socket, new Response(text, { status })).catch(() => socket.destroy());
}

/** Plain HTTP through the same `handleHttp` the Deno transport uses. */
async function answerHttp(
  runtime: Runtime,
  routes: ReadonlyMap<string, HttpRoute>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = req.method ?? "GET";
  let body: Uint8Array<ArrayBuffer> | undefined;
  if (method !== "GET" && method !== "HEAD") {
    body = await readBody(req, runtime.config.payloadLimit);
    if (body === undefined) {
      res.writeHead(413).end();
      return;
    }
  }
  const request = toRequest(req, runtime.config.secure, body);
  await writeResponse(res, await handleHttp(runtime, routes, request), method);
}
