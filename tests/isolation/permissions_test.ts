/**
 * Worker isolation gives plugs only the `isolation.allow*` permissions: a
 * plug that exceeds them gets its caller ERROR PERMISSION_DENIED naming the
 * permission, through a real server and a real plug-host process.
 */
import assert from "node:assert/strict";
import { hostFlags, parseGrant, workerPermissions } from "../../src/isolation/permissions.ts";
import { startServer, TestSocket } from "../_harness.ts";

const PLUGS = {
  "env.ts":
    `export async function* env() { yield { payload: Deno.env.get("ISOLATION_TEST_SECRET") ?? null }; }`,
  "net.ts": `export async function* net(m) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: m.payload });
    conn.close();
    yield { payload: "connected" };
  }`,
  "write.ts": `export async function* write(m) {
    await Deno.writeTextFile(m.payload, "x");
    yield { payload: "written" };
  }`,
  "readme.ts":
    `export async function* readme(m) { yield { payload: (await Deno.readTextFile(m.payload)).length }; }`,
};

Deno.test("parseGrant() reads comma lists, * and empty", () => {
  assert.equal(parseGrant("*"), true);
  assert.equal(parseGrant(""), false);
  assert.deepEqual(parseGrant(" a, b ,"), ["a", "b"]);
  const permissions = workerPermissions(
    { allowNet: "", allowRead: "", allowEnv: "HOME", allowWrite: "*", allowRun: "" },
    ["/srv/plugs"],
  );
  assert.deepEqual(hostFlags(permissions).filter((flag) => !flag.startsWith("--allow-read")), [
    "--allow-env=HOME",
    "--allow-write",
  ]);
  assert.ok((permissions.read as string[]).includes("/srv/plugs"));
});

Deno.test("worker isolation: a plug beyond its permissions gets its caller PERMISSION_DENIED", async () => {
  Deno.env.set("ISOLATION_TEST_SECRET", "s3cret");
  await using srv = await startServer({
    plugs: PLUGS,
    config: { isolation: { mode: "worker", allowNet: "" } },
  });
  const port = Number(new URL(srv.url).port);
  await using ws = await TestSocket.open(srv.url);
  const expectations: [string, unknown, string][] = [
    ["env", null, "env"],
    ["net", port, "net"],
    ["write", `${srv.dir}/out.txt`, "write"],
    ["readme", `${srv.dir}/../`, "read"],
  ];
  let id = 1;
  for (const [event, payload, permission] of expectations) {
    const [frame] = await ws.call(event, payload, id++);
    assert.equal(frame.type, 4, `${event}: ${JSON.stringify(frame.json)}`);
    const { code, message } = frame.json as { code: string; message: string };
    assert.equal(code, "PERMISSION_DENIED", event);
    assert.match(message, new RegExp(`Permission "${permission}" denied`), event);
  }
  // The plugs folder itself stays readable.
  const [own] = await ws.call("readme", `${srv.plugsDir}/env.ts`, id++);
  assert.equal(own.json, PLUGS["env.ts"].length);
});

Deno.test("worker isolation: isolation.allow* grants what it lists", async () => {
  Deno.env.set("ISOLATION_TEST_SECRET", "s3cret");
  await using srv = await startServer({
    plugs: PLUGS,
    config: {
      isolation: { mode: "worker", allowEnv: "ISOLATION_TEST_SECRET", allowNet: "127.0.0.1" },
    },
  });
  await using ws = await TestSocket.open(srv.url);
  const [env] = await ws.call("env", null, 1);
  assert.equal(env.json, "s3cret");
  const [net] = await ws.call("net", Number(new URL(srv.url).port), 2);
  assert.equal(net.json, "connected");
});
