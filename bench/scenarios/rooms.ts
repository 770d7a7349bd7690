/**
 * Room broadcasts across processes: members spread over several ssocket
 * nodes clustered through a redis-server the bench starts itself, all joined
 * to one room (bench/plugs/room/join.ts); one sender yields room broadcasts
 * (bench/plugs/room/say.ts). Measured: the time from the send to its receipt
 * at every member, in one load process that holds every socket, so both
 * times come from one clock. The same fan-out on a single node (no Redis)
 * is measured alongside, alternating which goes first per round.
 *
 * @module
 */

import { type LoadResult, runLoad } from "../lib/load.ts";
import { CLOCK_TICKS } from "../lib/proc.ts";
import { startRedis } from "../lib/redis.ts";
import { num } from "../lib/report.ts";
import { type RunningServer, startServer } from "../lib/servers.ts";

/** Options of {@linkcode rooms}. */
export interface RoomsOptions {
  /** Member connections, spread evenly over the nodes. */
  members: number;
  /** Nodes of the clustered setup. */
  nodes: number;
  /** Room broadcasts timed per round (after a few untimed ones). */
  broadcasts: number;
  rounds: number;
  /**
   * The event that joins the room; `null` skips joining, and with `sayEvent:
   * "broadcast"` the plain everyone-BROADCAST plug stands in for a room (for
   * servers without rooms, and the test of this scenario's machinery).
   */
  joinEvent?: string | null;
  /** The event whose plug yields the room broadcast. */
  sayEvent?: string;
}

/** The setups measured, in the order the report shows them. */
export type RoomsSetup = "single" | "cluster";

/** The label of each setup in the report, for `nodes` nodes. */
export function setupLabel(setup: RoomsSetup, nodes: number): string {
  return setup === "single" ? "1 node" : `${nodes} nodes + Redis`;
}

const ROOM = "bench";

/** Starts `n` ssocket nodes on one Redis channel; stops the started ones if one fails. */
async function startNodes(n: number, redisUrl: string, channel: string): Promise<RunningServer[]> {
  const flags = ["--cluster.redisUrl", redisUrl, "--cluster.channel", channel];
  const started = await Promise.allSettled(
    Array.from({ length: n }, () => startServer("ssocket", { flags })),
  );
  const nodes = started.flatMap((r) => r.status === "fulfilled" ? [r.value] : []);
  const failed = started.find((r) => r.status === "rejected");
  if (failed) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw failed.reason;
  }
  // startServer waited for the port, and a node subscribes to the channel
  // before it listens: every node hears the first broadcast.
  return nodes;
}

/**
 * Runs the room fan-out on one node and on `nodes` clustered nodes, a fresh
 * set of servers per round; the Redis is started once for the scenario.
 *
 * @throws Error "redis-server not found; apt-get install redis-server" without Redis
 */
export async function rooms(
  options: RoomsOptions,
  progress: (line: string) => void,
): Promise<Map<RoomsSetup, LoadResult[]>> {
  const setups: RoomsSetup[] = ["single", "cluster"];
  const results = new Map<RoomsSetup, LoadResult[]>(setups.map((s) => [s, []]));
  const redis = await startRedis();
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (let i = 0; i < setups.length; i++) {
        const setup = setups[(i + round) % setups.length];
        const servers = setup === "single"
          ? [await startServer("ssocket")]
          : await startNodes(options.nodes, redis.url, `ssocket-bench-${round}`);
        try {
          const result = await runLoad({
            mode: "room",
            url: servers[0].url,
            serverPid: servers[0].pid,
            urls: servers.map((s) => s.url),
            serverPids: servers.map((s) => s.pid),
            connections: options.members,
            window: 1,
            warmupMs: 0,
            durationMs: 0,
            frame: "",
            repeats: options.broadcasts,
            room: ROOM,
            joinEvent: options.joinEvent === null ? undefined : options.joinEvent ?? "room/join",
            sayEvent: options.sayEvent ?? "room/say",
            clockTicks: CLOCK_TICKS,
          });
          results.get(setup)!.push(result);
          progress(
            `  round ${round + 1} ${setupLabel(setup, options.nodes)}: p50 ` +
              `${num(result.p50, 2)} ms, p99 ${num(result.p99, 2)} ms per member, ` +
              `lost ${result.lost}, duplicated ${result.duplicates}`,
          );
        } finally {
          await Promise.all(servers.map((server) => server.stop()));
        }
      }
    }
  } finally {
    await redis.stop();
  }
  return results;
}
