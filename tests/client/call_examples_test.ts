/**
 * The example plugs of calls in both directions, input streams, binary
 * payloads and schemas, driven by the client library over a real socket.
 * (The browser test covers the confirmation and the upload in Chromium.)
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startServer } from "../_harness.ts";
import { type CallError, connect } from "../../src/client/mod.ts";

const PLUGS = fileURLToPath(new URL("../../plugs", import.meta.url));

Deno.test("plugs/files/delete asks the client to confirm and obeys the answer", async () => {
  await using srv = await startServer({ config: { plugsFolder: PLUGS } });
  await using client = await connect(srv.url);
  const asked: string[] = [];
  client.handle("confirm", ({ question }: { question: string }) => {
    asked.push(question);
    return question.includes("old");
  });
  assert.deepEqual(await client.call("files/delete", { name: "old.txt" }).first(), {
    deleted: "old.txt",
  });
  await assert.rejects(
    client.call("files/delete", { name: "keep.txt" }).first(),
    (err: CallError) => err.code === "DECLINED",
  );
  assert.deepEqual(asked, ['Delete "old.txt"?', 'Delete "keep.txt"?']);
});

Deno.test("plugs/files/upload takes binary chunks, reports progress and the SHA-256", async () => {
  await using srv = await startServer({ config: { plugsFolder: PLUGS } });
  await using client = await connect(srv.url);
  const file = new Uint8Array(100_000).map((_, i) => i % 251);
  const call = client.call("files/upload", { name: "data.bin", size: file.length });
  for (let at = 0; at < file.length; at += 32_768) call.write(file.subarray(at, at + 32_768));
  call.end();
  const replies = await call.all();
  assert.deepEqual(replies.slice(0, -1).map((r) => (r as { received: number }).received), [
    32_768,
    65_536,
    98_304,
    100_000,
  ]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", file));
  const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  assert.deepEqual(replies.at(-1), { name: "data.bin", bytes: 100_000, sha256 });
  // Text instead of bytes fails the plug's input schema.
  const wrong = client.call("files/upload", { name: "x", size: 3 });
  wrong.write("abc" as unknown as Uint8Array);
  await assert.rejects(wrong.all(), (err: CallError) => err.code === "INVALID_PAYLOAD");
});

Deno.test("plugs/live/typing streams drafts to the others as they are typed", async () => {
  await using srv = await startServer({ config: { plugsFolder: PLUGS } });
  await using typist = await connect(srv.url);
  await using reader = await connect(srv.url);
  const seen: string[] = [];
  const allSeen = Promise.withResolvers<void>();
  reader.on("live/draft", (draft) => {
    const { text } = draft as { text: string };
    seen.push(text);
    if (text === "hello") allSeen.resolve();
  });
  const call = typist.call("live/typing", { name: "ada" });
  for (const draft of ["h", "he", "hel", "hello"]) call.write(draft);
  call.end();
  assert.deepEqual(await call.all(), [
    { chars: 1 },
    { chars: 2 },
    { chars: 3 },
    { chars: 5 },
    { final: "hello" },
  ]);
  await allSeen.promise;
  assert.deepEqual(seen, ["h", "he", "hel", "hello"]);
});

Deno.test("plugs/form/signup answers each invalid field with an issue", async () => {
  await using srv = await startServer({ config: { plugsFolder: PLUGS } });
  await using client = await connect(srv.url);
  await assert.rejects(
    client.call("form/signup", { name: "a", email: "no", age: 9 }).first(),
    (err: CallError) => {
      assert.equal(err.code, "INVALID_PAYLOAD");
      assert.deepEqual(err.issues, [
        { path: ["name"], message: "At least 2 characters" },
        { path: ["email"], message: "Not an email address" },
        { path: ["age"], message: "You must be 13 or older" },
      ]);
      return true;
    },
  );
  assert.deepEqual(
    await client.call("form/signup", { name: " Ada ", email: "ada@example.com", age: 36 }).first(),
    { welcome: "Welcome, Ada" },
  );
});
