import assert from "node:assert/strict";
import { startServer } from "../_harness.ts";
import { buildClient, BUNDLE_NAME, DIST_URL, readCommittedBundle } from "../../src/client/build.ts";

Deno.test("the committed client bundle matches a fresh build of src/client/", async () => {
  const [built, committed] = await Promise.all([buildClient(), readCommittedBundle()]);
  const hint = "src/client/dist/ is out of date: run `deno task build:client` and commit it";
  assert.ok(built.js === committed.js, hint);
  assert.ok(built.map === committed.map, hint);
});

Deno.test("the server serves the client bundle and its source map", async () => {
  await using srv = await startServer({
    plugs: { "echo.ts": "export async function* echo(m) { yield { payload: m.payload }; }" },
  });
  const base = srv.url.replace("ws:", "http:");
  const js = await fetch(new URL("/ssocket.js", base));
  assert.equal(js.status, 200);
  assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
  const source = await js.text();
  assert.equal(source, (await readCommittedBundle()).js);
  assert.match(source, /\/\/# sourceMappingURL=ssocket\.js\.map\n?$/);
  const map = await fetch(new URL("/ssocket.js.map", base));
  assert.equal(map.headers.get("content-type"), "application/json; charset=utf-8");
  const parsed = await map.json();
  assert.equal(parsed.version, 3);
  assert.ok(parsed.sources.includes("../mod.ts"));
  assert.equal(parsed.sources.length, parsed.sourcesContent.length);
  // Other paths keep the JSON status.
  const status = await (await fetch(base)).json();
  assert.equal(status.name, "ssocket");
  assert.equal(status.events, undefined, "event names stay private without statusShowsEvents");
});

Deno.test("the bundle works as a module: connect and call", async () => {
  await using srv = await startServer({
    plugs: { "echo.ts": "export async function* echo(m) { yield { payload: m.payload }; }" },
  });
  const { connect } = await import(new URL(BUNDLE_NAME, DIST_URL).href);
  const client = await connect(srv.url);
  try {
    assert.deepEqual(await client.call("echo", { via: "bundle" }).first(), { via: "bundle" });
  } finally {
    await client.close();
  }
});
