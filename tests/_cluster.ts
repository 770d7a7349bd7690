/**
 * Several real `ssocket` processes clustered through one Redis, for tests
 * that need what one process cannot show: a node that dies, a Redis that
 * goes away, frames crossing process boundaries. Each node is the CLI
 * itself (`src/mod.ts` in a child process), started like a user would.
 *
 * @module
 */

import { join } from "node:path";
import { type RunResult, Spawned, ssocketArgs } from "./cli/_command.ts";
import { WAIT_MS, withTimeout } from "./_harness.ts";

/** How long a node may take to print "Listening on" (several start at once). */
const START_MS = 30_000;
/** How long a node may take to exit after SIGTERM before it gets SIGKILL. */
const STOP_GRACE_MS = 5_000;

/** Options of {@linkcode startNodes}. */
export interface StartNodesOptions {
  /** The Redis every node joins, e.g. `startRedis()`'s `url`. */
  redisUrl: string;
  /** Pub/sub channel; a fresh one per call by default, so clusters never hear each other. */
  channel?: string;
  /** Plug files every node serves: path inside the plugs folder → source. */
  plugs: Record<string, string>;
  /** More `ssocket` flags for every node, e.g. `["--logLevel", "debug"]` (they win over the ones set here). */
  flags?: string[];
}

/** One running node. */
export interface NodeProcess {
  /** Its position in {@linkcode Nodes.nodes}. */
  readonly index: number;
  /** `ws://127.0.0.1:PORT/`, from its "Listening on" line. */
  readonly url: string;
  readonly pid: number;
  /** Sends `signal` (SIGTERM by default) without waiting; see `stopped`. */
  kill(signal?: Deno.Signal): void;
  /** Resolves once the process exited and its output was read to the end. */
  readonly stopped: Promise<RunResult>;
  /** Every stdout line so far (info and debug log lines). */
  readonly logs: readonly string[];
  /** Everything written to stderr so far (warnings and errors). */
  readonly stderr: string;
  /** Resolves with the first stdout line matching `pattern`; rejects after `timeoutMs`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM, SIGKILL if it has not exited after a grace period; resolves when it is gone. */
  stop(): Promise<RunResult>;
}

/** The nodes of one {@linkcode startNodes} call; disposing stops them all. */
export interface Nodes extends AsyncDisposable {
  readonly nodes: NodeProcess[];
  readonly channel: string;
  /** The plugs folder all nodes serve (writing a file there reloads it on every node). */
  readonly plugsDir: string;
}

function nodeProcess(index: number, process: Spawned, url: string): NodeProcess {
  const stopped = process.finished();
  return {
    index,
    url,
    pid: process.pid,
    kill: (signal) => process.kill(signal),
    stopped,
    logs: process.lines,
    get stderr() {
      return process.stderr;
    },
    waitForLog: (pattern, timeoutMs = WAIT_MS) =>
      withTimeout(
        process.waitForLine(pattern),
        timeoutMs,
        () => `node ${index}: no log line matched ${pattern}:\n${process.lines.join("\n")}`,
      ),
    async stop() {
      process.kill("SIGTERM");
      // A node that hangs in shutdown (e.g. its Redis is gone) must not hang the test.
      const timer = setTimeout(() => process.kill("SIGKILL"), STOP_GRACE_MS);
      try {
        return await stopped;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Starts `n` `ssocket` processes on 127.0.0.1 (ephemeral ports), clustered
 * through `redisUrl` on one channel and serving one shared temporary plugs
 * folder; resolves once every node printed "Listening on". Nodes start with
 * their Redis subscription in place, so a frame published right away is
 * heard by every node. `await using` stops them all (SIGTERM, then SIGKILL
 * after a grace period) and removes the folder.
 *
 * @example
 * ```ts ignore
 * await using redis = await startRedis();
 * await using cluster = await startNodes(3, {
 *   redisUrl: redis.url,
 *   plugs: { "shout.ts": "export async function* shout(m) { yield { type: 1, payload: m.payload }; }" },
 * });
 * const [a, b] = cluster.nodes;
 * await using alice = await TestSocket.open(a.url);
 * await using bob = await TestSocket.open(b.url);
 * alice.send("shout", "hi"); // bob, on the other process, gets it
 * ```
 */
export async function startNodes(n: number, options: StartNodesOptions): Promise<Nodes> {
  const dir = await Deno.makeTempDir({ prefix: "ssocket_cluster_" });
  const plugsDir = join(dir, "plugs");
  const channel = options.channel ?? `ssocket-test-${crypto.randomUUID()}`;
  const spawned: Spawned[] = [];
  const nodes: NodeProcess[] = [];
  const stopAll = async () => {
    // Nodes that never printed their URL have no handle yet: stop those by their process.
    const handles = spawned.map((process, i) =>
      nodes[i] ?? nodeProcess(i, process, "(not listening)")
    );
    await Promise.all(handles.map((node) => node.stop()));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await Deno.mkdir(plugsDir);
    for (const [path, source] of Object.entries(options.plugs)) {
      const file = join(plugsDir, path);
      await Deno.mkdir(join(file, ".."), { recursive: true });
      await Deno.writeTextFile(file, source);
    }
    const args = ssocketArgs(
      "--INSECURE.port",
      "0",
      "--INSECURE.hostname",
      "127.0.0.1",
      "--plugsFolder",
      plugsDir,
      "--cluster.redisUrl",
      options.redisUrl,
      "--cluster.channel",
      channel,
      ...(options.flags ?? []),
    );
    // The temp folder as working directory: no ssocket.config.* or INIT.ts of the repo applies.
    for (let i = 0; i < n; i++) spawned.push(new Spawned(args, { cwd: dir }));
    const urls = await Promise.all(spawned.map((process, i) =>
      withTimeout(
        process.url(),
        START_MS,
        () =>
          `node ${i} printed no "Listening on" within ${START_MS} ms:\n${
            process.lines.join("\n")
          }\n${process.stderr}`,
      )
    ));
    nodes.push(...urls.map((url, i) => nodeProcess(i, spawned[i], url)));
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { nodes, channel, plugsDir, [Symbol.asyncDispose]: stopAll };
}
