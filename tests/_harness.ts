/**
 * Test harness: a real ssocket server on 127.0.0.1:0 with a temporary plugs
 * folder, and a frame-level WebSocket client. No mocks: tests speak the wire
 * protocol to the real transport.
 *
 * @module
 */

import { join } from "node:path";
import { type PartialConfig, type TransportName, withDefaults } from "../config.ts";
import { Logger } from "../src/log.ts";
import {
  decodeFrame,
  decodeJsonPayload,
  encodeJsonFrame,
  type Frame,
} from "../src/protocol/frame.ts";
import { type InitHook, start } from "../src/server/start.ts";
import { SUBPROTOCOL_V1 } from "../src/protocol/subprotocol.ts";
import type { Runtime } from "../src/server/runtime.ts";
import type { Connection } from "../src/server/connection.ts";
import type { Server } from "../src/plugs/api.ts";
import type { ClusterAdapter } from "../src/cluster/adapter.ts";

/** A server under test with its temporary folder and captured log. */
export interface TestServer extends AsyncDisposable {
  /** The server as plugs and embedders see it. */
  server: Server;
  /** The runtime behind it, for assertions on internals. */
  runtime: Runtime;
  /** ws:// URL of the server. */
  url: string;
  /** The temporary folder; plugs are in `plugsDir`. */
  dir: string;
  plugsDir: string;
  /** Every log line written so far. */
  logs: string[];
  /** Resolves when a log line matching `pattern` is written (or already was); rejects after `timeoutMs`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Writes a plug file (path relative to the plugs folder). */
  writePlug(path: string, source: string): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@linkcode startServer}. */
export interface StartOptions {
  /** Plug files to create: path inside the plugs folder → source. */
  plugs?: Record<string, string>;
  /** Config overrides. */
  config?: PartialConfig;
  /** INIT hook. */
  init?: InitHook;
  /** The way to other nodes (none by default). */
  adapter?: ClusterAdapter;
}

/**
 * The isolation mode the server tests run in: `SSOCKET_TEST_ISOLATION=worker`
 * runs every harness server with its plugs in Workers (`deno task test` runs
 * the server tests both ways).
 */
export const TEST_ISOLATION: "none" | "worker" = Deno.env.get("SSOCKET_TEST_ISOLATION") === "worker"
  ? "worker"
  : "none";

/**
 * The transport the server tests run on: `SSOCKET_TRANSPORT=deno` (or `ws`),
 * the variable of the `transport` option itself, overrides the default for
 * every harness server that does not name one, and for every `ssocket`
 * process a test starts (`deno task test:deno` runs the suite on Deno's).
 */
export const TEST_TRANSPORT: TransportName | undefined = (() => {
  const name = Deno.env.get("SSOCKET_TRANSPORT");
  return name === "ws" || name === "deno" ? name : undefined;
})();

/** Starts a real server on an ephemeral port. Close it (or `await using`). */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const dir = await Deno.makeTempDir({ prefix: "ssocket_test_" });
  const plugsDir = join(dir, "plugs");
  await Deno.mkdir(plugsDir, { recursive: true });
  const writePlug = async (path: string, source: string) => {
    const file = join(plugsDir, path);
    await Deno.mkdir(join(file, ".."), { recursive: true });
    await Deno.writeTextFile(file, source);
  };
  for (const [path, source] of Object.entries(options.plugs ?? {})) await writePlug(path, source);
  const config = withDefaults({
    logLevel: "debug",
    printLogToConsole: false,
    initFile: "",
    reloadDebounce: 20,
    ...(TEST_TRANSPORT ? { transport: TEST_TRANSPORT } : {}),
    ...options.config,
    isolation: { mode: TEST_ISOLATION, ...options.config?.isolation },
    INSECURE: { port: 0, hostname: "127.0.0.1", ...options.config?.INSECURE },
    plugsFolder: options.config?.plugsFolder ?? plugsDir,
  });
  const logs: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const log = new Logger(config, (_level, line) => {
    logs.push(line);
    for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });
  let runtime: Runtime;
  try {
    runtime = await start({ config, log, init: options.init ?? false, adapter: options.adapter });
  } catch (err) {
    await Deno.remove(dir, { recursive: true });
    throw err;
  }
  const server = runtime.api;
  const close = async () => {
    await server.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  return {
    server,
    runtime,
    url: server.url!,
    dir,
    plugsDir,
    logs,
    waitForLog(pattern, timeoutMs = WAIT_MS) {
      const seen = logs.find((line) => pattern.test(line));
      if (seen) return Promise.resolve(seen);
      const { promise, resolve } = Promise.withResolvers<string>();
      waiters.push({ pattern, resolve });
      return withTimeout(
        promise,
        timeoutMs,
        () => `No log line matched ${pattern}:\n${logs.join("\n")}`,
      );
    },
    writePlug,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The first open connection of a test server, as the runtime holds it. */
export function firstConnection(srv: TestServer): Connection {
  const [connection] = srv.runtime.hub.connections.values();
  if (!connection) throw new Error("The server has no open connection");
  return connection;
}

/** How long a test waits for an expected event before failing instead of hanging. */
export const WAIT_MS = 10_000;

/** Rejects with `message()` if `promise` has not settled within `ms`; clears its timer either way. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A decoded frame with its JSON payload parsed (null for SYNC, binary or empty). */
export interface ReceivedFrame extends Frame {
  json: unknown;
}

/** A frame-level WebSocket client for tests. */
export class TestSocket implements AsyncDisposable {
  readonly ws: WebSocket;
  readonly #queue: ReceivedFrame[] = [];
  readonly #waiting: ((frame: ReceivedFrame) => void)[] = [];
  readonly closed: Promise<CloseEvent>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.binaryType = "arraybuffer";
    ws.onmessage = (event) => {
      const frame = decodeFrame(new Uint8Array(event.data as ArrayBuffer));
      const json = frame.type === 3 || frame.binary || frame.payload.length === 0
        ? null
        : decodeJsonPayload(frame);
      const received = { ...frame, json };
      const waiter = this.#waiting.shift();
      if (waiter) waiter(received);
      else this.#queue.push(received);
    };
    this.closed = new Promise((resolve) => ws.addEventListener("close", resolve));
  }

  /**
   * Opens a connection and waits until it is open. It offers ssocket's
   * subprotocol unless told otherwise; `[]` opens a legacy connection.
   */
  static async open(url: string, protocols: string[] = [SUBPROTOCOL_V1]): Promise<TestSocket> {
    const ws = new WebSocket(url, protocols);
    const socket = new TestSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = (e) =>
        reject(new Error(`WebSocket failed to open: ${(e as ErrorEvent).message}`));
    });
    return socket;
  }

  /** Sends raw bytes or text. */
  sendRaw(data: Uint8Array | string): void {
    this.ws.send(data);
  }

  /** Sends a JSON frame (type MESSAGE unless given). */
  send(event: string, payload?: unknown, requestId?: number, type = 0): void {
    this.ws.send(encodeJsonFrame(type, event, payload, requestId));
  }

  /** The next frame received; rejects if none arrives within `timeoutMs`. */
  next(timeoutMs = WAIT_MS): Promise<ReceivedFrame> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    const { promise, resolve } = Promise.withResolvers<ReceivedFrame>();
    this.#waiting.push(resolve);
    return withTimeout(promise, timeoutMs, () => {
      const at = this.#waiting.indexOf(resolve);
      if (at !== -1) this.#waiting.splice(at, 1);
      return `No frame arrived within ${timeoutMs} ms`;
    });
  }

  /** Takes every frame received and not yet read, without waiting. */
  drain(): ReceivedFrame[] {
    return this.#queue.splice(0);
  }

  /** Frames up to and including the end frame of call `requestId` (others stay queued). */
  async call(event: string, payload: unknown, requestId: number): Promise<ReceivedFrame[]> {
    this.send(event, payload, requestId);
    const frames: ReceivedFrame[] = [];
    const others: ReceivedFrame[] = [];
    while (true) {
      const frame = await this.next();
      if (frame.requestId !== requestId) {
        others.push(frame);
        continue;
      }
      frames.push(frame);
      if (frame.end) break;
    }
    this.#queue.unshift(...others);
    return frames;
  }

  /** Closes and waits for the close handshake to finish. */
  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    await this.closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
