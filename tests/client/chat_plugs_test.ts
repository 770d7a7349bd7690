import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startServer } from "../_harness.ts";
import { CallError, connect, type SsocketClient } from "../../src/client/mod.ts";

const PLUGS = fileURLToPath(new URL("../../plugs", import.meta.url));

type Members = { members: { id: string; name: string }[] };

/** Resolves with the first `chat/members` state for which `test` holds. */
function membersWhen(client: SsocketClient, test: (names: string[]) => boolean) {
  return new Promise<string[]>((resolve) => {
    const off = client.on("chat/members", (state) => {
      const names = (state as Members).members.map((m) => m.name);
      if (test(names)) {
        off();
        resolve(names);
      }
    });
  });
}

Deno.test("chat plugs: join pushes the SYNC'd member list, leaving updates it", async () => {
  await using srv = await startServer({ config: { plugsFolder: PLUGS } });
  await using ann = await connect(srv.url);
  const joined = membersWhen(ann, (names) => names.length === 1);
  assert.deepEqual(Object.keys(await ann.call("chat/join", { name: " ann " }).first() ?? {}), [
    "name",
    "id",
  ]);
  assert.deepEqual(await joined, ["ann"]);

  const three = membersWhen(ann, (names) => names.length === 3);
  const bob = await connect(srv.url);
  await using cid = await connect(srv.url);
  await bob.call("chat/join", { name: "bob" }).all();
  await cid.call("chat/join", { name: "cid" }).all();
  assert.deepEqual(await three, ["ann", "bob", "cid"]);

  const left = Promise.withResolvers<unknown>();
  ann.on("chat/left", (payload) => left.resolve(payload));
  const two = membersWhen(ann, (names) => names.length === 2);
  await bob.close();
  assert.deepEqual(await two, ["ann", "cid"]);
  assert.equal((await left.promise as { name: string }).name, "bob");

  // A watcher that never joined asks for the list once.
  await using watcher = await connect(srv.url);
  const seen = await watcher.call("chat/members").first();
  assert.deepEqual((seen as Members).members.map((m) => m.name), ["ann", "cid"]);
});

Deno.test("chat plugs: typing is broadcast to the others, bad input is a CallError", async () => {
  await using srv = await startServer({ config: { plugsFolder: PLUGS } });
  await using ann = await connect(srv.url);
  await using bob = await connect(srv.url);
  await ann.call("chat/join", { name: "ann" }).all();
  const typing = Promise.withResolvers<unknown>();
  bob.on("chat/typing", (payload) => typing.resolve(payload));
  ann.send("chat/typing", { typing: true });
  assert.deepEqual(await typing.promise, {
    id: srv.server.connections[0].id,
    name: "ann",
    typing: true,
  });
  const error = await ann.call("chat/send", { text: " " }).first().catch((err) => err);
  assert.ok(error instanceof CallError);
  assert.equal(error.code, "TEXT_REQUIRED");
});
