/**
 * Whether a WebSocket handshake may become a connection, decided once for
 * both transports: the origin (403), draining (503), the connection limits
 * (503 / 429, counted), authentication (401 or the authenticator's own
 * response), the subprotocol, and a recovery session's resume. A transport builds a web `Request` of the
 * handshake, calls {@linkcode admit}, and either answers the `Response` it
 * gets or upgrades with the token it gets, calling `release()` when the
 * socket closes (or the upgrade fails).
 *
 * @example
 * ```ts ignore
 * const verdict = await admit(runtime, request, remoteAddr);
 * if (verdict instanceof Response) return verdict;
 * const { socket, response } = Deno.upgradeWebSocket(request, { protocol: verdict.token });
 * socket.onopen = () => runtime.accept(socket, verdict.accepted, verdict.legacy, verdict.pack, verdict.start);
 * socket.onclose = () => verdict.release();
 * ```
 * @module
 */

import { fields } from "../log.ts";
import { parseResume, type ResumeRequest } from "../protocol/recovery.ts";
import { negotiate } from "../protocol/subprotocol.ts";
import { type Accepted, authenticateUpgrade } from "./auth.ts";
import type { RecoveryStart, Runtime } from "./runtime.ts";

/** A handshake that may proceed: how to answer it and what to hand `runtime.accept`. */
export interface Admitted {
  /** Who connected, from authentication (empty without auth). */
  accepted: Accepted;
  /** The `Sec-WebSocket-Protocol` to answer with; none when undefined. */
  token: string | undefined;
  /** The client speaks the original serverless-sockets format. */
  legacy: boolean;
  /** The client negotiated frame packing. */
  pack: boolean;
  /** Set when the client negotiated recovery: the session it resumes, or why it starts fresh. */
  start: RecoveryStart | undefined;
  /** Gives the connection's place back (`limits.maxConnections*`); call once, when it closes. */
  release(): void;
}

/**
 * Decides one WebSocket handshake.
 *
 * @param request the handshake as a web request (headers and URL matter)
 * @param remoteAddr the peer; its hostname is what `maxConnectionsPerIp` counts
 * @returns the refusal to answer, or what the upgrade needs
 */
export async function admit(
  runtime: Runtime,
  request: Request,
  remoteAddr: Deno.NetAddr,
): Promise<Admitted | Response> {
  const origin = request.headers.get("origin");
  if (!originAllowed(runtime.config.allowedOrigins, origin)) {
    runtime.log.warn(`Refused a WebSocket from origin ${origin ?? "(none)"}`);
    return new Response("Origin not allowed", { status: 403 });
  }
  if (runtime.draining) return new Response("Shutting down", { status: 503 });
  const ip = remoteAddr.hostname;
  const refused = admissionResponse(runtime, ip);
  if (refused) return new Response(refused.text, { status: refused.status });
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    runtime.gate.release(ip);
  };
  let accepted: Accepted = {};
  if (runtime.authenticator || runtime.config.auth.jwtSecret) {
    let verdict: Accepted | Response;
    try {
      verdict = await authenticateUpgrade(runtime, request, remoteAddr);
    } catch (err) {
      release();
      throw err;
    }
    if (verdict instanceof Response) {
      release();
      return verdict;
    }
    accepted = verdict;
  }
  // Without an ssocket token the client speaks the original format.
  const offer = request.headers.get("sec-websocket-protocol");
  const { token, legacy, pack, recovery } = negotiate(offer, runtime.sessions !== undefined);
  let start: RecoveryStart | undefined;
  if (recovery) {
    const resume = parseResume(offer);
    try {
      start = resume ? await claim(runtime, resume, accepted) : {};
    } catch (err) {
      release();
      throw err;
    }
  }
  return { accepted, token, legacy, pack, start, release };
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

/**
 * True when `origin` may open a WebSocket. Browsers always send Origin, so a
 * list stops other sites' pages from connecting with the user's cookies;
 * non-browser clients send none and are let through.
 */
export function originAllowed(allowed: string, origin: string | null): boolean {
  if (allowed === "" || origin === null) return true;
  return allowed.split(",").some((entry) => entry.trim() === origin);
}
