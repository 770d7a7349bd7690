/**
 * What the server tells about itself over plain HTTP: `/healthz` and
 * `/readyz` for load balancers, `/metrics` for Prometheus, and `/status`
 * (with `/status.json`, which it polls) for people. With `metrics.token`
 * set, the last three want `Authorization: Bearer <token>`; Basic
 * credentials with the token as password work too, so a browser can open
 * `/status` through its login prompt without the token in the URL.
 *
 * @example
 * ```ts ignore
 * const response = opsResponse(runtime, request, "/metrics"); // undefined for other paths
 * ```
 * @module
 */

import { Buffer } from "node:buffer";
import { timingSafeEqual } from "node:crypto";
import { MemoryAdapter } from "../cluster/adapter.ts";
import { eventTypeName, MAX_EVENT_TYPE } from "../protocol/event_type.ts";
import { VERSION } from "../version.ts";
import { DURATION_BUCKETS, UNMATCHED_EVENT } from "./metrics.ts";
import { CONTENT_TYPE, Exposition } from "./prometheus.ts";
import type { Runtime } from "./runtime.ts";
import { STATUS_PAGE } from "./status_page.ts";

/** The paths answered here. */
export const OPS_PATHS = ["/healthz", "/readyz", "/metrics", "/status", "/status.json"] as const;
/** Most rooms listed by the status JSON (the busiest first). */
export const STATUS_ROOMS_LIMIT = 100;
/** How long the status JSON waits for the cluster's peer list. */
const PEERS_TIMEOUT_MS = 500;

/** The answer for an ops path, or undefined for any other path. */
export function opsResponse(
  runtime: Runtime,
  request: Request,
  pathname: string,
): Response | Promise<Response> | undefined {
  if (request.method !== "GET" && request.method !== "HEAD") return undefined;
  if (pathname === "/healthz" || pathname === "/readyz") return health(runtime);
  const metrics = runtime.metrics;
  if (!metrics || !OPS_PATHS.includes(pathname as typeof OPS_PATHS[number])) return undefined;
  if (!authorized(runtime.config.metrics.token, request.headers.get("authorization"))) {
    return new Response("Unauthorized: send Authorization: Bearer <metrics.token>\n", {
      status: 401,
      headers: { "www-authenticate": 'Bearer realm="ssocket", Basic realm="ssocket"' },
    });
  }
  if (pathname === "/metrics") {
    return new Response(renderMetrics(runtime), { headers: { "content-type": CONTENT_TYPE } });
  }
  if (pathname === "/status.json") return statusJson(runtime).then((body) => Response.json(body));
  return new Response(STATUS_PAGE, {
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" },
  });
}

/** 200 while serving; 503 while draining or while a clustered node cannot reach its peers. */
function health(runtime: Runtime): Response {
  const status = runtime.draining
    ? "draining"
    : runtime.hub.adapter.healthy
    ? "ok"
    : "cluster unreachable";
  return Response.json({ status }, { status: status === "ok" ? 200 : 503 });
}

/** True when no token is set, or the header carries it (Bearer, or Basic as the password). */
export function authorized(token: string, header: string | null): boolean {
  if (token === "") return true;
  if (!header) return false;
  const [scheme, value = ""] = header.trim().split(/\s+/, 2);
  let given: string | undefined;
  if (scheme.toLowerCase() === "bearer") given = value;
  else if (scheme.toLowerCase() === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    given = decoded.slice(decoded.indexOf(":") + 1);
  }
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The Prometheus exposition of the runtime's counters, read now. */
export function renderMetrics(runtime: Runtime): string {
  const m = runtime.metrics!;
  const { hub } = runtime;
  const events = m.events();
  const types = [];
  for (let type = 0; type <= MAX_EVENT_TYPE; type++) {
    types.push([{ type: eventTypeName(type) }, m.sent[type]] as const);
  }
  const adapter = hub.adapter;
  return new Exposition()
    .gauge(
      "ssocket_connections",
      "Open WebSocket connections on this process.",
      hub.connections.size,
    )
    .counter("ssocket_connections_opened_total", "Connections accepted.", m.connectionsOpened)
    .counter(
      "ssocket_auth_refused_total",
      "WebSocket upgrades refused by authentication.",
      m.authRefused,
    )
    .counter(
      "ssocket_messages_received_total",
      `Messages received, by event; "${UNMATCHED_EVENT}" for those that ran no plug.`,
      events.map(([event, stats]) => [{ event }, stats.received]),
    )
    .counter("ssocket_messages_sent_total", "Frames written to sockets, by type.", types)
    .counter("ssocket_bytes_received_total", "Bytes of messages received.", m.bytesReceived)
    .counter("ssocket_bytes_sent_total", "Bytes of frames written to sockets.", m.bytesSent)
    .counter(
      "ssocket_errors_total",
      "ERROR and NOT_FOUND frames sent, by code.",
      m.errors().map(([code, n]) => [{ code }, n]),
    )
    .histogram(
      "ssocket_plug_duration_seconds",
      "Time from a message to its plug's end, by event.",
      events.filter(([event]) => event !== UNMATCHED_EVENT).map(([event, stats]) => ({
        labels: { event },
        bounds: DURATION_BUCKETS,
        counts: stats.buckets,
        sum: stats.sum,
      })),
    )
    .counter(
      "ssocket_plug_reloads_total",
      "Plug file loads (at start and on change), by result.",
      Object.entries(m.reloads).map(([result, n]) => [{ result }, n]),
    )
    .gauge("ssocket_calls_running", "Plug runs in progress.", runtime.callsRunning)
    .gauge("ssocket_rooms", "Rooms with members on this process.", hub.rooms.size)
    .counter(
      "ssocket_sync_bytes_saved_total",
      "Bytes SYNC deltas saved against sending whole states.",
      m.syncBytesSaved,
    )
    .counter(
      "ssocket_cluster_publish_errors_total",
      "Frames that could not be handed to other nodes.",
      adapter.publishErrors ?? 0,
    )
    .counter(
      "ssocket_limit_refusals_total",
      "Refusals and closes by the limits against abusive clients, by counter (src/server/limits.ts).",
      Object.entries(runtime.counters)
        .filter(([name]) => name !== "clusterPublishFailures")
        .map(([limit, n]) => [{ limit }, n]),
    )
    .gauge(
      "ssocket_cluster_healthy",
      "1 while other nodes can be reached.",
      adapter.healthy ? 1 : 0,
    )
    .gauge("ssocket_draining", "1 while shutting down after SIGTERM.", runtime.draining ? 1 : 0)
    .text();
}

/** What `/status` shows; counters are totals, the page turns them into rates. */
export async function statusJson(runtime: Runtime) {
  const m = runtime.metrics!;
  const { hub, plugs } = runtime;
  const stats = new Map(m.events());
  const states = new Map(m.plugs().map((p) => [p.event, p]));
  for (const event of plugs.events()) {
    if (!states.has(event)) states.set(event, { event, state: "loaded", at: 0, serving: true });
  }
  const rooms = hub.rooms.names().map((room) => {
    let members = 0;
    for (const _ of hub.rooms.members(room)) members++;
    return { room, members };
  }).sort((a, b) => b.members - a.members || (a.room < b.room ? -1 : 1));
  const adapter = hub.adapter;
  const clustered = !(adapter instanceof MemoryAdapter);
  const errors = m.errors();
  let sent = 0;
  for (const n of m.sent) sent += n;
  let received = 0;
  for (const [, s] of stats) received += s.received;
  return {
    name: "ssocket",
    version: VERSION,
    time: Date.now(),
    uptimeSeconds: Math.round((Date.now() - m.startedAt) / 1000),
    draining: runtime.draining,
    connections: hub.connections.size,
    connectionsOpened: m.connectionsOpened,
    authRefused: m.authRefused,
    callsRunning: runtime.callsRunning,
    received,
    sent,
    bytesReceived: m.bytesReceived,
    bytesSent: m.bytesSent,
    errorTotal: errors.reduce((sum, [, n]) => sum + n, 0),
    errors,
    plugs: [...states.values()].sort((a, b) => a.event < b.event ? -1 : 1).map((p) => {
      const s = stats.get(p.event);
      return {
        ...p,
        received: s?.received ?? 0,
        runs: s?.count ?? 0,
        meanMs: s && s.count > 0 ? (1000 * s.sum) / s.count : 0,
      };
    }),
    roomCount: rooms.length,
    rooms: rooms.slice(0, STATUS_ROOMS_LIMIT),
    cluster: {
      clustered,
      healthy: adapter.healthy,
      nodeId: adapter.nodeId,
      publishErrors: adapter.publishErrors ?? 0,
      peers: clustered ? await peersOf(runtime) : [],
    },
  };
}

async function peersOf(runtime: Runtime): Promise<string[] | null> {
  const adapter = runtime.hub.adapter;
  if (!adapter.peers || !adapter.healthy) return null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) =>
    timer = setTimeout(resolve, PEERS_TIMEOUT_MS, null)
  );
  try {
    return await Promise.race([adapter.peers(), timeout]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
