/**
 * Runs a load client as its own process and returns what it measured.
 * Deno's client (bench/load/client.ts) drives the ssocket, bare Deno and ws
 * servers; Socket.IO is driven by socket.io-client under node
 * (bench/node/sio_client.mjs), which speaks its protocol and acks.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { LoadConfig, LoadResult } from "../load/client.ts";
import { Child, pin } from "./proc.ts";

export type { LoadConfig, LoadResult };

const DENO_CLIENT = fileURLToPath(new URL("../load/client.ts", import.meta.url));
const NODE_DIR = fileURLToPath(new URL("../node/", import.meta.url));
const SIO_CLIENT = `${NODE_DIR}sio_client.mjs`;
const REPO_DIR = fileURLToPath(new URL("../../", import.meta.url));
/** Slack on top of the client's own warm-up, window and drain time. */
const CLIENT_TIMEOUT_SLACK_MS = 60_000;

/** Runs one load client to completion (pinned to CPU `cpu` when given: see `pin`). */
export async function runLoad(
  config: LoadConfig,
  client: "deno" | "socketio" = "deno",
  cpu?: number,
): Promise<LoadResult> {
  const command = client === "deno"
    ? [Deno.execPath(), "run", "-A", DENO_CLIENT, JSON.stringify(config)]
    : ["node", SIO_CLIENT, JSON.stringify(config)];
  const cwd = client === "deno" ? REPO_DIR : NODE_DIR;
  const child = new Child(`${client} load client`, command, { cwd });
  // Pinned before it connects: its warm-up runs on that core too.
  if (cpu !== undefined) pin(child.pid, cpu);
  const timeout = config.warmupMs + config.durationMs + CLIENT_TIMEOUT_SLACK_MS;
  const timer = setTimeout(() => child.stop(), timeout);
  const status = await child.finished();
  clearTimeout(timer);
  const line = child.lines.find((l) => l.startsWith("RESULT "));
  if (!status.success || !line) {
    throw new Error(`Load client failed (exit ${status.code}):\n${child.tail()}`);
  }
  // JSON turns NaN (a percentile of no samples) into null; make it NaN again,
  // which the report's medians skip and prints as "–".
  return JSON.parse(line.slice("RESULT ".length), (_key, value) => value ?? NaN) as LoadResult;
}
