import assert from "node:assert/strict";
import { join } from "node:path";
import { startServer, TestSocket } from "../_harness.ts";

const version = (v: string) =>
  `export async function* hot(m) { yield { payload: { v: ${JSON.stringify(v)} } }; }`;

/** Calls `event` until its first reply satisfies `ok`: the watcher works asynchronously. */
async function untilReply(
  ws: TestSocket,
  event: string,
  ok: (frame: { type: number; json: unknown }) => boolean,
  log: string[],
): Promise<{ type: number; json: unknown }> {
  for (let id = 1; id < 500; id++) {
    const [first] = await ws.call(event, null, id);
    if (ok(first)) return first;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no matching reply for "${event}"; log:\n${log.join("\n")}`);
}

Deno.test("a plug file added, edited, broken, fixed and deleted is live while a client stays connected", async () => {
  await using srv = await startServer();
  await using ws = await TestSocket.open(srv.url);
  const [missing] = await ws.call("hot", null, 1);
  assert.equal(missing.type, 5, "a file that does not exist answers NOT_FOUND");

  await srv.writePlug("hot.ts", version("one"));
  const one = await untilReply(ws, "hot", (f) => f.type === 0, srv.logs);
  assert.deepEqual(one.json, { v: "one" });

  await srv.writePlug("hot.ts", version("two"));
  await untilReply(ws, "hot", (f) => (f.json as { v: string })?.v === "two", srv.logs);

  await srv.writePlug("hot.ts", "export async function* hot( { syntax error");
  const logged = await srv.waitForLog(
    /Plug "hot" .* failed to load; the last good version keeps serving/,
  );
  assert.match(logged, /hot\.ts\?v=[0-9a-f]+:1:\d+/, "the log names the file and line");
  const [still] = await ws.call("hot", null, 600);
  assert.deepEqual(still.json, { v: "two" });

  await srv.writePlug("hot.ts", version("three"));
  await untilReply(ws, "hot", (f) => (f.json as { v: string })?.v === "three", srv.logs);

  await Deno.remove(join(srv.plugsDir, "hot.ts"));
  await untilReply(ws, "hot", (f) => f.type === 5, srv.logs);
  assert.equal(ws.ws.readyState, WebSocket.OPEN, "the connection survived every reload");
});

Deno.test("a new file that never loaded answers NOT_FOUND and logs why", async () => {
  await using srv = await startServer();
  await using ws = await TestSocket.open(srv.url);
  await srv.writePlug(
    "broken.ts",
    "throw new Error('top level throws');\nexport async function* broken() {}",
  );
  const line = await srv.waitForLog(/Plug "broken" .* failed to load; it answers NOT_FOUND/);
  assert.match(line, /top level throws\n\s+at .*broken\.ts\?v=[0-9a-f]+:1:/);
  const [frame] = await ws.call("broken", null, 1);
  assert.equal(frame.type, 5);
});

Deno.test("a missing import keeps the last good version serving", async () => {
  await using srv = await startServer({ plugs: { "dep.ts": version("good") } });
  await using ws = await TestSocket.open(srv.url);
  // The import is used: an unused one may be elided by the transpiler.
  await srv.writePlug(
    "dep.ts",
    `import { x } from "./nowhere.ts";\nexport async function* dep() { yield { payload: x }; }`,
  );
  await srv.waitForLog(/Plug "dep" .* failed to load; the last good version keeps serving/);
  const [frame] = await ws.call("dep", null, 1);
  assert.deepEqual(frame.json, { v: "good" });
});

Deno.test("rewriting identical content does not import the module again", async () => {
  const source = `globalThis.__ssocketImports = (globalThis.__ssocketImports ?? 0) + 1;
    export async function* same() { yield { payload: globalThis.__ssocketImports }; }`;
  await using srv = await startServer({ plugs: { "same.ts": source, "other.ts": version("a") } });
  await using ws = await TestSocket.open(srv.url);
  const [before] = await ws.call("same", null, 1);
  await srv.writePlug("same.ts", source);
  // Then change another file and wait for it: the rewrite was processed by then.
  await srv.writePlug("other.ts", version("b"));
  await untilReply(ws, "other", (f) => (f.json as { v: string })?.v === "b", srv.logs);
  const [after] = await ws.call("same", null, 2);
  assert.equal(after.json, before.json);
  assert.equal(srv.logs.filter((l) => l.includes('plug "same"')).length, 1);
  delete (globalThis as Record<string, unknown>).__ssocketImports;
});

Deno.test("a running generator finishes on the old version while new calls use the new one", async () => {
  const slow = (v: string) =>
    `export async function* slow(m) {
      yield { payload: "${v}:start" };
      await new Promise((r) => setTimeout(r, m.payload.wait));
      yield { payload: "${v}:end" };
    }`;
  await using srv = await startServer({ plugs: { "slow.ts": slow("old") } });
  await using ws = await TestSocket.open(srv.url);
  ws.send("slow", { wait: 300 }, 1);
  const start = await ws.next();
  assert.equal(start.json, "old:start");
  await srv.writePlug("slow.ts", slow("new"));
  await srv.waitForLog(/Reloaded plug "slow"/);
  const fresh = await ws.call("slow", { wait: 0 }, 2);
  assert.deepEqual(fresh.map((f) => f.json), ["new:start", "new:end", null]);
  const rest = [await ws.next(), await ws.next()];
  assert.deepEqual(rest.map((f) => [f.requestId, f.json]), [[1, "old:end"], [1, null]]);
});

Deno.test("nested folders are events, and deleting a folder removes its plugs", async () => {
  await using srv = await startServer({ plugs: { "chat/room/send.ts": version("nested") } });
  await using ws = await TestSocket.open(srv.url);
  const [frame] = await ws.call("chat/room/send", null, 1);
  assert.deepEqual(frame.json, { v: "nested" });
  await srv.writePlug("chat/new/hello.ts", version("added"));
  await untilReply(ws, "chat/new/hello", (f) => f.type === 0, srv.logs);
  await Deno.remove(join(srv.plugsDir, "chat"), { recursive: true });
  await untilReply(ws, "chat/room/send", (f) => f.type === 5, srv.logs);
  await untilReply(ws, "chat/new/hello", (f) => f.type === 5, srv.logs);
});

Deno.test("with preloadPlugs false, plugs load on first use and hostile names never reach import()", async () => {
  await using srv = await startServer({
    config: { preloadPlugs: false },
    plugs: { "lazy.ts": version("lazy") },
  });
  // A module outside the plugs folder that would leave a marker if imported.
  const marker = join(srv.dir, "imported.txt");
  await Deno.writeTextFile(
    join(srv.dir, "outside.ts"),
    `Deno.writeTextFileSync(${JSON.stringify(marker)}, "x");
     export async function* outside() { yield { payload: "escaped" }; }`,
  );
  assert.equal(srv.runtime.plugs.size, 0, "nothing is loaded before first use");
  await using ws = await TestSocket.open(srv.url);
  const [lazy] = await ws.call("lazy", null, 1);
  assert.deepEqual(lazy.json, { v: "lazy" });
  for (
    const name of [
      "../outside",
      "./../outside",
      "lazy/../../outside",
      "/" + join(srv.dir, "outside"),
    ]
  ) {
    const [frame] = await ws.call(name, null, 2);
    assert.equal(frame.type, 5, name);
  }
  await assert.rejects(Deno.stat(marker), Deno.errors.NotFound);
});

Deno.test("files starting with _ are helpers that plugs import, not events", async () => {
  await using srv = await startServer({
    plugs: {
      "chat/_names.ts": `export const names = ["ada", "bob"];`,
      "chat/list.ts": `import { names } from "./_names.ts";
        export async function* list() { yield { payload: names }; }`,
    },
  });
  await using ws = await TestSocket.open(srv.url);
  assert.deepEqual(srv.runtime.plugs.events(), ["chat/list"]);
  const [list] = await ws.call("chat/list", null, 1);
  assert.deepEqual(list.json, ["ada", "bob"]);
  const [helper] = await ws.call("chat/_names", null, 2);
  assert.equal(helper.type, 5);
  assert.ok(!srv.logs.some((l) => l.includes("_names") && l.includes("ERROR")));
});
