/**
 * Payloads checked against a plug's `schema` export (Standard Schema v1;
 * valibot here, pinned in import_map.json for the examples and tests only).
 */
import assert from "node:assert/strict";
import { startServer, TEST_ISOLATION } from "../_harness.ts";
import { CallError, connect } from "../../src/client/mod.ts";

const SIGNUP = `import * as v from "valibot";
export const schema = {
  payload: v.object({ email: v.pipe(v.string(), v.trim(), v.email()), age: v.number() }),
  input: v.number(),
  reply: v.object({ ok: v.boolean() }),
};
export async function* signup(m, client) {
  client.server.log.info("signup ran for " + JSON.stringify(m.payload.email));
  yield { payload: { ok: true } };
  for await (const n of m.input) yield { payload: n > 0 ? { ok: true } : { ok: "no" } };
}`;

const ASYNC = `export const schema = {
  payload: {
    "~standard": {
      version: 1,
      vendor: "test",
      validate: async (value) =>
        typeof value === "string" ? { value: value.toUpperCase() } : { issues: [{ message: "Expected a string" }] },
    },
  },
};
export async function* shout(m) { yield { payload: m.payload }; }`;

function rejectsWith(code: string, issues?: unknown) {
  return (err: unknown) => {
    assert.ok(err instanceof CallError, String(err));
    assert.equal(err.code, code);
    if (issues !== undefined) assert.deepEqual(err.issues, issues);
    return true;
  };
}

Deno.test("an invalid payload answers INVALID_PAYLOAD with its issues; the handler never runs", async () => {
  await using srv = await startServer({ plugs: { "signup.ts": SIGNUP } });
  await using client = await connect(srv.url);
  await assert.rejects(
    client.call("signup", { email: "nope", age: "x" }).first(),
    rejectsWith("INVALID_PAYLOAD", [
      { path: ["email"], message: 'Invalid email: Received "nope"' },
      { path: ["age"], message: 'Invalid type: Expected number but received "x"' },
    ]),
  );
  await assert.rejects(client.call("signup").first(), rejectsWith("INVALID_PAYLOAD"));
  assert.ok(!srv.logs.some((line) => line.includes("signup ran")), srv.logs.join("\n"));
});

Deno.test("a valid payload reaches the handler as the validator's output", async () => {
  await using srv = await startServer({ plugs: { "signup.ts": SIGNUP, "shout.ts": ASYNC } });
  await using client = await connect(srv.url);
  assert.deepEqual(await client.call("signup", { email: "  a@b.co ", age: 3 }).first(), {
    ok: true,
  });
  await srv.waitForLog(/signup ran for "a@b.co"/); // v.trim() ran
  // An async validator works the same way.
  assert.equal(await client.call("shout", "hi").first(), "HI");
  await assert.rejects(client.call("shout", 1).first(), rejectsWith("INVALID_PAYLOAD"));
});

Deno.test("streamed input is checked against schema.input as the plug reads it", async () => {
  await using srv = await startServer({ plugs: { "signup.ts": SIGNUP } });
  await using client = await connect(srv.url);
  const call = client.call("signup", { email: "a@b.co", age: 3 });
  call.write(1);
  call.write("two");
  const replies: unknown[] = [];
  await assert.rejects(
    (async () => {
      for await (const reply of call) replies.push(reply);
    })(),
    rejectsWith("INVALID_PAYLOAD", [
      { path: [], message: 'Invalid type: Expected number but received "two"' },
    ]),
  );
  assert.deepEqual(replies, [{ ok: true }, { ok: true }]);
});

Deno.test("validateReplies checks yields against schema.reply; off by default", async () => {
  const reply = async (validateReplies: boolean) => {
    await using srv = await startServer({
      plugs: { "signup.ts": SIGNUP },
      config: { validateReplies },
    });
    await using client = await connect(srv.url);
    const call = client.call("signup", { email: "a@b.co", age: 3 });
    call.write(-1);
    call.end();
    return await call.all();
  };
  assert.deepEqual(await reply(false), [{ ok: true }, { ok: "no" }]);
  await assert.rejects(
    reply(true),
    rejectsWith("INVALID_REPLY", [
      { path: ["ok"], message: 'Invalid type: Expected boolean but received "no"' },
    ]),
  );
});

Deno.test("a schema export that is not a Standard Schema fails the plug's load", async () => {
  await using srv = await startServer({
    plugs: {
      "bad.ts": `export const schema = { payload: { parse() {} } };
      export async function* bad() { yield { payload: 1 }; }`,
    },
  });
  await srv.waitForLog(/schema\.payload is not a Standard Schema v1 validator/);
  await using client = await connect(srv.url);
  await assert.rejects(client.call("bad").first(), rejectsWith("NOT_FOUND"));
});

Deno.test("a validator's output reaches the plug as it is in-process; in worker mode it must be cloneable", async () => {
  await using srv = await startServer({
    plugs: {
      "fn.ts": `export const schema = {
        payload: { "~standard": { version: 1, vendor: "test", validate: () => ({ value: () => 1 }) } },
      };
      export async function* fn(m) { yield { payload: typeof m.payload }; }`,
    },
  });
  await using client = await connect(srv.url);
  const call = client.call("fn", null).first();
  if (TEST_ISOLATION === "worker") {
    await assert.rejects(call, (err: unknown) => {
      rejectsWith("PLUG_ERROR")(err);
      assert.match((err as Error).message, /The output of schema\.payload cannot leave the Worker/);
      return true;
    });
  } else {
    assert.equal(await call, "function");
  }
});
