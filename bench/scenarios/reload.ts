/**
 * Hot-reload scenarios (ssocket only):
 * - the echo plug rewritten every 100 ms while C=50/W=10 echo load runs:
 *   failed and lost requests (must be zero) and the throughput dip;
 * - 1000 distinct edits of one plug, each waited for: the server's RSS growth
 *   (every distinct content is a new ES module, and V8 never frees one).
 *
 * @module
 */

import { join } from "node:path";
import { encodeJsonFrame } from "../../src/protocol/frame.ts";
import { runLoad } from "../lib/load.ts";
import { CLOCK_TICKS, rssKiB, sleep } from "../lib/proc.ts";
import { startServer } from "../lib/servers.ts";
import { median } from "../lib/report.ts";
import { base64, ECHO_PAYLOAD } from "./throughput.ts";

const MESSAGE = 0;
const RELOADED = /Reloaded plug "echo"/;
const RELOAD_FAILED = /Plug "echo" .*failed to load/;
/** Time for the client process to start and connect before its clock starts. */
const CLIENT_START_MS = 1000;
const RELOAD_WAIT_MS = 3000;
const SETTLE_MS = 1000;

/** Measured while the echo plug is rewritten under load. */
export interface HotReloadResult {
  edits: number;
  reloads: number;
  failedReloads: number;
  /** Echo round trips/s before the edits started, and while they ran. */
  before: number;
  during: number;
  /** The slowest 100 ms bucket during the edits, as round trips/s. */
  worst: number;
  errors: number;
  lost: number;
}

/** Options of {@linkcode hotReload}. */
export interface HotReloadOptions {
  connections: number;
  window: number;
  warmupMs: number;
  baselineMs: number;
  reloadMs: number;
  intervalMs: number;
}

function echoSource(edit: number): string {
  return `// edit ${edit}\nexport async function* echo(m) {\n  yield { payload: m.payload };\n}\n`;
}

/** Rewrites plugs/echo.ts every `intervalMs` during echo load. */
export async function hotReload(options: HotReloadOptions): Promise<HotReloadResult> {
  const server = await startServer("ssocket");
  try {
    let reloads = 0;
    let failedReloads = 0;
    server.child.onLine((line) => {
      if (RELOADED.test(line)) reloads++;
      if (RELOAD_FAILED.test(line)) failedReloads++;
    });
    const bucketMs = 100;
    const load = runLoad({
      mode: "echo",
      url: server.url,
      serverPid: server.pid,
      connections: options.connections,
      window: options.window,
      warmupMs: options.warmupMs,
      durationMs: options.baselineMs + options.reloadMs + CLIENT_START_MS + options.intervalMs,
      frame: base64(encodeJsonFrame(MESSAGE, "echo", ECHO_PAYLOAD)),
      bucketMs,
      clockTicks: CLOCK_TICKS,
    });
    await sleep(CLIENT_START_MS + options.warmupMs + options.baselineMs);
    const file = join(server.plugsDir!, "echo.ts");
    const editStart = Date.now();
    let edits = 0;
    while (Date.now() - editStart < options.reloadMs) {
      await Deno.writeTextFile(file, echoSource(++edits));
      await sleep(options.intervalMs);
    }
    const editEnd = Date.now();
    const result = await load;
    const rates = (from: number, to: number) =>
      (result.buckets ?? []).flatMap((count, i) => {
        const at = result.bucketStart! + i * bucketMs;
        return at >= from && at + bucketMs <= to ? [count * 1000 / bucketMs] : [];
      });
    const before = rates(result.bucketStart! + options.warmupMs, editStart);
    const during = rates(editStart, editEnd);
    return {
      edits,
      reloads,
      failedReloads,
      before: median(before),
      during: median(during),
      worst: Math.min(...during),
      errors: result.errors,
      lost: result.lost,
    };
  } finally {
    await server.stop();
  }
}

/** Server RSS after `edits` distinct versions of one plug were loaded. */
export interface EditGrowthResult {
  edits: number;
  reloads: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  seconds: number;
}

/** Edits plugs/echo.ts `edits` times, waiting for each reload. */
export async function editGrowth(edits: number): Promise<EditGrowthResult> {
  // A short debounce so 1000 edits fit the time budget; each is still waited for.
  const server = await startServer("ssocket", { flags: ["--reloadDebounce", "5"] });
  try {
    let reloads = 0;
    let waiting: (() => void) | undefined;
    server.child.onLine((line) => {
      if (RELOADED.test(line) || RELOAD_FAILED.test(line)) {
        reloads++;
        waiting?.();
      }
    });
    await sleep(SETTLE_MS);
    const before = rssKiB(server.pid);
    const file = join(server.plugsDir!, "echo.ts");
    const t0 = performance.now();
    for (let edit = 1; edit <= edits; edit++) {
      const { promise, resolve } = Promise.withResolvers<void>();
      waiting = resolve;
      await Deno.writeTextFile(file, echoSource(edit));
      // A missed reload is counted (reloads < edits), not waited for forever.
      const timer = setTimeout(resolve, RELOAD_WAIT_MS);
      await promise;
      clearTimeout(timer);
    }
    const seconds = (performance.now() - t0) / 1000;
    await sleep(SETTLE_MS);
    const after = rssKiB(server.pid);
    return {
      edits,
      reloads,
      rssBeforeMiB: before / 1024,
      rssAfterMiB: after / 1024,
      seconds,
    };
  } finally {
    await server.stop();
  }
}
