/**
 * What worker isolation costs in memory, against in-process mode: the RSS of
 * the server and its plug host with 50 plugs loaded and idle, and the growth
 * over many distinct edits of one plug (from the 200th edit on, where issue
 * 16 sets its bound). RSS is the server process plus its children.
 *
 * @module
 */

import { join } from "node:path";
import { sleep, treeRssKiB } from "../lib/proc.ts";
import { startServer } from "../lib/servers.ts";

/** The two ssocket modes. */
export type IsolationKind = "ssocket" | "ssocket-worker";

/** One row of the isolation memory table. */
export interface IsolationMemoryResult {
  kind: IsolationKind;
  /** RSS (server + children) with `plugs` plugs loaded and no traffic. */
  idlePlugs: number;
  idleMiB: number;
  edits: number;
  /** RSS after 200 edits and after `edits`, in KiB. */
  rssAt200KiB: number;
  rssAtEndKiB: number;
  seconds: number;
}

const SETTLE_SAMPLES = 8;
const SAMPLE_MS = 250;
const RELOAD_WAIT_MS = 5_000;
const FROM_EDIT = 200;

/** The lowest RSS over a short while: terminated Workers return memory when the OS gets to it. */
async function settledRss(pid: number): Promise<number> {
  let lowest = Infinity;
  for (let i = 0; i < SETTLE_SAMPLES; i++) {
    await sleep(SAMPLE_MS);
    lowest = Math.min(lowest, treeRssKiB(pid));
  }
  return lowest;
}

/** Runs both measurements for one mode. */
export async function isolationMemory(
  kind: IsolationKind,
  edits: number,
  plugs = 50,
): Promise<IsolationMemoryResult> {
  const server = await startServer(kind, { flags: ["--reloadDebounce", "5"] });
  try {
    let loads = 0;
    let waiting: (() => void) | undefined;
    server.child.onLine((line) => {
      if (/(Loaded|Reloaded) plug "/.test(line) || /failed to load/.test(line)) {
        loads++;
        waiting?.();
      }
    });
    const waitFor = async (count: number, write: () => Promise<void>) => {
      const { promise, resolve } = Promise.withResolvers<void>();
      waiting = () => loads >= count && resolve();
      await write();
      const timer = setTimeout(resolve, RELOAD_WAIT_MS);
      await promise;
      clearTimeout(timer);
    };
    const base = loads;
    await waitFor(base + plugs, async () => {
      for (let i = 0; i < plugs; i++) {
        await Deno.writeTextFile(
          join(server.plugsDir!, `idle_${i}.ts`),
          `export async function* idle_${i}(m) { yield { payload: m.payload }; }\n`,
        );
      }
    });
    const idle = await settledRss(server.pid);
    const file = join(server.plugsDir!, "echo.ts");
    const t0 = performance.now();
    let at200 = 0;
    for (let edit = 1; edit <= edits; edit++) {
      await waitFor(
        loads + 1,
        () =>
          Deno.writeTextFile(
            file,
            `// edit ${edit}\nexport async function* echo(m) { yield { payload: m.payload }; }\n`,
          ),
      );
      if (edit === FROM_EDIT) at200 = await settledRss(server.pid);
    }
    const seconds = (performance.now() - t0) / 1000;
    return {
      kind,
      idlePlugs: plugs,
      idleMiB: idle / 1024,
      edits,
      rssAt200KiB: at200,
      rssAtEndKiB: await settledRss(server.pid),
      seconds,
    };
  } finally {
    await server.stop();
  }
}
