/**
 * A `redis-server` for the cluster scenarios, started by the bench itself on
 * a free port of 127.0.0.1 without persistence (a Redis already running on
 * the machine is never used: its other clients would be noise). It runs as a
 * {@linkcode Child}, so an interrupted bench stops it with the rest.
 *
 * @module
 */

import { Child, freePort, sleep } from "./proc.ts";

/** The message when `redis-server` is missing, naming the fix. */
export const REDIS_MISSING = "redis-server not found; apt-get install redis-server";

const READY_MS = 10_000;
/** Readiness is polled: nothing else tells when Redis answers. */
const PROBE_MS = 20;

/** A started `redis-server`. */
export interface RunningRedis {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Resolves true if 127.0.0.1:`port` answers PING with PONG. */
async function ping(port: number): Promise<boolean> {
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

/**
 * Starts `redis-server` on a free port and resolves once it answers PING.
 *
 * @throws Error {@linkcode REDIS_MISSING} when `redis-server` is not on the PATH
 *
 * @example
 * ```ts ignore
 * const redis = await startRedis();
 * // … ssocket nodes with `--cluster.redisUrl ${redis.url}` …
 * await redis.stop();
 * ```
 */
export async function startRedis(): Promise<RunningRedis> {
  // Child runs the command through `sh`, which cannot say "not found" as an
  // exception, so look for the binary first.
  const found = await new Deno.Command("sh", {
    args: ["-c", "command -v redis-server"],
    stdout: "null",
    stderr: "null",
  }).output();
  if (!found.success) throw new Error(REDIS_MISSING);
  const port = freePort();
  const child = new Child("redis-server", [
    "redis-server",
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
  ]);
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + READY_MS;
  while (!exited && Date.now() < deadline && !(await ping(port))) await sleep(PROBE_MS);
  if (exited || !(await ping(port))) {
    await child.stop();
    throw new Error(`redis-server did not answer PING on port ${port}:\n${child.tail()}`);
  }
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid, stop: () => child.stop() };
}
