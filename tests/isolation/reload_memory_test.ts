/**
 * Worker isolation returns the memory of replaced plug versions: a real
 * `ssocket` process in worker mode reloads one plug many times, and the RSS
 * of the server plus its plug host stops growing. `deno task bench` measures
 * the full 2000 edits; this bounded check keeps the suite short.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { serveCommand, tempDir } from "../cli/_command.ts";
import { TestSocket } from "../_harness.ts";

const WARM_EDITS = 200;
const MEASURED_EDITS = 200;
/**
 * Issue 16's bound: from the 200th edit on, RSS (server plus plug host)
 * grows less than 10 KiB per distinct edit. The host is replaced every 100
 * terminated Workers (`RECYCLE_AFTER`), so both samples are taken just after
 * a replacement. Measured here: -27 to 3.9 KiB per edit over these 200 edits
 * (a settled RSS still moves by a few MiB between samples); 8.1 over the
 * bench's 2000. A heap snapshot diff of the server between edits 200 and 400
 * showed compiled code and lazily loaded runtime scripts, nothing held per
 * edit.
 */
const KIB_PER_EDIT = 10;

/** RSS in KiB of a process and its children, from /proc. */
export async function treeRssKib(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`).catch(() => "");
  let total = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
  const children = await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`).catch(() => "");
  for (const child of children.trim().split(/\s+/).filter(Boolean)) {
    total += await treeRssKib(Number(child));
  }
  return total;
}

/**
 * The RSS once terminated Workers have handed their memory back. There is no
 * event for that (the OS frees a thread's pages when it gets to it), so this
 * samples for a while and keeps the lowest figure.
 */
async function settledRssKib(pid: number): Promise<number> {
  let lowest = Infinity;
  for (let i = 0; i < 12; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    lowest = Math.min(lowest, await treeRssKib(pid));
  }
  return lowest;
}

Deno.test({
  name:
    "worker isolation: RSS of server and host grows less than 10 KiB per distinct edit after the 200th",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using dir = await tempDir("ssocket_reload_rss_");
    const plugs = join(dir.path, "plugs");
    await Deno.mkdir(plugs);
    const file = join(plugs, "edited.ts");
    const source = (n: number) =>
      `export async function* edited() { yield { payload: ${n} }; } // edit ${n}\n`;
    await Deno.writeTextFile(file, source(0));
    const { process, url } = await serveCommand([
      "--isolation.mode",
      "worker",
      "--isolation.drainTimeout",
      "1000",
      "--plugsFolder",
      plugs,
      "--reloadDebounce",
      "5",
      "--INSECURE.port",
      "0",
      "--INSECURE.hostname",
      "127.0.0.1",
      "--initFile",
      "",
    ], { cwd: dir.path });
    await using _server = process;
    await using ws = await TestSocket.open(url);
    let n = 0;
    const edit = async () => {
      n++;
      await Deno.writeTextFile(file, source(n));
      await process.waitForLine(new RegExp(`Reloaded plug "edited".*\\n?`));
      process.lines.splice(0); // the next edit waits for its own line
      const [reply] = await ws.call("edited", null, n);
      assert.equal(reply.json, n);
    };
    for (let i = 0; i < WARM_EDITS; i++) await edit();
    const before = await settledRssKib(process.pid);
    for (let i = 0; i < MEASURED_EDITS; i++) await edit();
    const after = await settledRssKib(process.pid);
    const perEdit = (after - before) / MEASURED_EDITS;
    console.log(
      `RSS ${before} KiB after ${WARM_EDITS} edits, ${after} KiB after ${n}: ` +
        `${perEdit.toFixed(2)} KiB per edit`,
    );
    assert.ok(perEdit < KIB_PER_EDIT, `${perEdit.toFixed(2)} KiB per edit`);
  },
});
