/**
 * A private `redis-server` per test: its own free port on 127.0.0.1, no
 * persistence, so tests never share state with each other or with a Redis
 * already running on the machine (6379 is never used).
 *
 * Without `redis-server` the helper throws: the cluster tests then fail
 * loudly instead of being skipped, so a machine that cannot run them is
 * noticed.
 *
 * @module
 */

/** The error message when the binary is missing, naming the fix. */
export const REDIS_MISSING = "redis-server not found; apt-get install redis-server";

/** How long `redis-server` may take to answer PING after it was started. */
const READY_MS = 10_000;
/** How often readiness is probed: there is no event to wait for from outside. */
const PROBE_MS = 20;
/** How long `stop()` waits after SIGTERM before it sends SIGKILL. */
const STOP_GRACE_MS = 5_000;
/** Output lines kept for error messages. */
const TAIL_LINES = 30;
/** Free ports tried: one picked by `freePort()` may be taken before Redis binds it. */
const START_ATTEMPTS = 3;

/** A `redis-server` started by {@linkcode startRedis}. */
export interface RedisServer extends AsyncDisposable {
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** Whether the process is running now. */
  readonly running: boolean;
  /**
   * Ends the process and waits for its exit. SIGTERM by default (SIGKILL
   * after a grace period); pass "SIGKILL" to simulate a crash. Does nothing
   * when it is not running.
   */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Starts it again on the same port (stopping it first if needed) and waits until PING answers. */
  restart(): Promise<void>;
}

/**
 * Sends PING to 127.0.0.1:`port` and resolves true if it answers PONG.
 *
 * @example
 * ```ts ignore
 * await redisPing(6379); // true if a Redis answers there
 * ```
 */
export async function redisPing(port: number): Promise<boolean> {
  let conn: Deno.TcpConn | undefined;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buf = new Uint8Array(16);
    const n = await conn.read(buf);
    return new TextDecoder().decode(buf.subarray(0, n ?? 0)).startsWith("+PONG");
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}

/** A port on 127.0.0.1 that was free a moment ago. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** One run of the `redis-server` process, with its output drained. */
class RedisProcess {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  /** Resolves once the process exited and its output was read to the end. */
  readonly finished: Promise<Deno.CommandStatus>;
  exited = false;

  constructor(port: number) {
    try {
      this.child = new Deno.Command("redis-server", {
        args: [
          "--port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--save",
          "",
          "--appendonly",
          "no",
          // Logs go to stdout, which is read here, so a failed start can say why.
          "--logfile",
          "",
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) throw new Error(REDIS_MISSING, { cause: err });
      throw err;
    }
    // The output must be read to its end (or the pipes stay open and Deno's
    // resource sanitizer fails the test), so `finished` waits for both.
    const drained = Promise.all([
      this.#collect(this.child.stdout),
      this.#collect(this.child.stderr),
    ]);
    this.finished = this.child.status.then(async (status) => {
      this.exited = true;
      await drained;
      return status;
    });
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      this.lines.push(...parts);
      if (this.lines.length > TAIL_LINES) this.lines.splice(0, this.lines.length - TAIL_LINES);
    }
    if (rest) this.lines.push(rest);
  }

  /** Waits until PING answers; throws (after stopping the process) if it exits or takes too long. */
  async ready(port: number): Promise<void> {
    const deadline = Date.now() + READY_MS;
    while (!this.exited && Date.now() < deadline) {
      if (await redisPing(port)) return;
      await new Promise((resolve) => setTimeout(resolve, PROBE_MS));
    }
    const why = this.exited ? "exited" : `did not answer PING within ${READY_MS} ms`;
    await this.stop("SIGKILL");
    throw new Error(`redis-server on port ${port} ${why}:\n${this.lines.join("\n")}`);
  }

  async stop(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    if (!this.exited) {
      try {
        this.child.kill(signal);
      } catch {
        // It exited between the check and the kill.
      }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (signal === "SIGTERM") {
      timer = setTimeout(() => {
        try {
          this.child.kill("SIGKILL");
        } catch {
          // Exited in the meantime.
        }
      }, STOP_GRACE_MS);
    }
    await this.finished;
    clearTimeout(timer);
  }
}

/**
 * Starts a private `redis-server` on a free port of 127.0.0.1, without
 * persistence, and resolves once it answers PING.
 *
 * @throws Error {@linkcode REDIS_MISSING} when `redis-server` is not installed
 *
 * @example
 * ```ts ignore
 * await using redis = await startRedis();
 * // … start servers with `--cluster.redisUrl ${redis.url}` …
 * await redis.stop(); // Redis goes away
 * await redis.restart(); // and comes back on the same port
 * ```
 */
export async function startRedis(): Promise<RedisServer> {
  let port = 0;
  let process: RedisProcess | undefined;
  for (let attempt = 1; !process; attempt++) {
    port = freePort();
    const candidate = new RedisProcess(port);
    try {
      await candidate.ready(port);
      process = candidate;
    } catch (err) {
      if (attempt === START_ATTEMPTS) throw err;
    }
  }
  let current: RedisProcess = process;
  const stop = (signal: "SIGTERM" | "SIGKILL" = "SIGTERM") => current.stop(signal);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get running() {
      return !current.exited;
    },
    stop,
    async restart() {
      await current.stop("SIGTERM");
      current = new RedisProcess(port);
      await current.ready(port);
    },
    [Symbol.asyncDispose]: () => stop("SIGKILL"),
  };
}
