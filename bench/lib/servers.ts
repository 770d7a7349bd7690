/**
 * The servers under test, each started as its own child process on a port
 * of 127.0.0.1 picked here:
 *
 * - `deno`: bare `Deno.serve` + `Deno.upgradeWebSocket` echo (bench/servers/deno_echo.ts)
 * - `deno-broadcast`: the same, sending each message to every other socket
 * - `ssocket`: `deno run -A src/mod.ts` over a temporary copy of bench/plugs
 *   (its default transport, ws); `ssocket-deno`: the same with `--transport deno`
 * - `ssocket-pack`: the same server, driven by a load client that offers
 *   `ssocket.pack.v1` (what a user of the ssocket client library gets)
 * - `ws`: npm:ws under node (bench/node/ws_echo.mjs)
 * - `socketio`: npm:socket.io under node, acknowledged echo (bench/node/sio_echo.mjs)
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Child, freePort, waitForPort } from "./proc.ts";

/** Which server to start. */
export type ServerKind =
  | "deno"
  | "deno-broadcast"
  | "ssocket"
  | "ssocket-worker"
  | "ssocket-pack"
  | "ssocket-deno"
  | "ws"
  | "socketio";

/** A started server. */
export interface RunningServer {
  kind: ServerKind;
  url: string;
  pid: number;
  child: Child;
  /** ssocket only: the temporary plugs folder it serves (safe to edit). */
  plugsDir?: string;
  stop(): Promise<void>;
}

/** Options of {@linkcode startServer}. */
export interface StartOptions {
  /** ssocket: extra `--flag value` pairs. */
  flags?: string[];
}

const BENCH_DIR = fileURLToPath(new URL("../", import.meta.url));
const REPO_DIR = join(BENCH_DIR, "..");

/** Human-readable label of each server kind, as the table shows it. */
export const LABELS: Record<ServerKind, string> = {
  "deno": "bare Deno",
  "deno-broadcast": "bare Deno",
  "ssocket": "ssocket",
  "ssocket-worker": "ssocket, isolation.mode worker",
  "ssocket-pack": "ssocket, packed",
  "ssocket-deno": "ssocket (deno)",
  "ws": "node ws",
  "socketio": "Socket.IO",
};

/** Copies the files of folder `from` into `to`, sub-folders included (e.g. plugs/room/). */
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyTree(join(from, entry.name), join(to, entry.name));
    else if (entry.isFile) await Deno.copyFile(join(from, entry.name), join(to, entry.name));
  }
}

/** Starts a server and waits until it accepts TCP connections. */
export async function startServer(
  kind: ServerKind,
  options: StartOptions = {},
): Promise<RunningServer> {
  const port = freePort();
  let command: string[];
  let workDir: string | undefined;
  let plugsDir: string | undefined;
  if (
    kind === "ssocket" || kind === "ssocket-worker" || kind === "ssocket-pack" ||
    kind === "ssocket-deno"
  ) {
    // A scratch folder as cwd, so the repo's example INIT.ts is not run, and
    // a copy of the bench plugs that scenarios may edit.
    workDir = await Deno.makeTempDir({ prefix: "ssocket_bench_" });
    plugsDir = join(workDir, "plugs");
    await copyTree(join(BENCH_DIR, "plugs"), plugsDir);
    command = [
      Deno.execPath(),
      "run",
      "-A",
      "--config",
      join(REPO_DIR, "deno.json"),
      join(REPO_DIR, "src", "mod.ts"),
      "--INSECURE.port",
      String(port),
      "--INSECURE.hostname",
      "127.0.0.1",
      "--plugsFolder",
      plugsDir,
      // info: startup lines and one line per plug reload (counted by the
      // reload scenarios); nothing is logged per message at this level.
      "--logLevel",
      "info",
      ...(kind === "ssocket-worker" ? ["--isolation.mode", "worker"] : []),
      "--transport",
      kind === "ssocket-deno" ? "deno" : "ws",
      // The load client sends thousands of frames per second on one
      // connection and opens thousands from one address: the limits of a
      // public server would refuse it (the attack script measures them).
      "--limits.messagesPerSecond",
      "0",
      "--limits.maxConnectionsPerIp",
      "0",
      ...(options.flags ?? []),
    ];
  } else if (kind === "deno" || kind === "deno-broadcast") {
    command = [
      Deno.execPath(),
      "run",
      "-A",
      join(BENCH_DIR, "servers", "deno_echo.ts"),
      "--port",
      String(port),
    ];
    if (kind === "deno-broadcast") command.push("--broadcast");
  } else {
    const file = kind === "ws" ? "ws_echo.mjs" : "sio_echo.mjs";
    command = ["node", join(BENCH_DIR, "node", file), "--port", String(port)];
  }
  const cwd = workDir ??
    (kind === "ws" || kind === "socketio" ? join(BENCH_DIR, "node") : REPO_DIR);
  const child = new Child(kind, command, { cwd });
  try {
    await waitForPort(port, child);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return {
    kind,
    url: `ws://127.0.0.1:${port}/`,
    pid: child.pid,
    child,
    plugsDir,
    async stop() {
      await child.stop();
      if (workDir) await Deno.remove(workDir, { recursive: true }).catch(() => {});
    },
  };
}
