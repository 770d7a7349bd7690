import assert from "node:assert/strict";
import { join } from "node:path";
import { TestSocket } from "../_harness.ts";
import { handlerName, plugTemplate } from "../../src/cli/generate.ts";
import { DENO_JSON, run, serveCommand, ssocketArgs, tempDir } from "./_command.ts";

Deno.test("handlerName() makes a valid function name from the event", () => {
  assert.equal(handlerName("chat/send"), "send");
  assert.equal(handlerName("chat/send-all"), "sendAll");
  assert.equal(handlerName("delete"), "handle");
  assert.equal(handlerName("2fa"), "handle");
});

Deno.test("plugTemplate() imports from ssocket and shows MESSAGE, BROADCAST and SYNC", () => {
  const source = plugTemplate("chat/send");
  assert.match(source, /from "ssocket"/);
  assert.match(source, /EventType\.MESSAGE/);
  assert.match(source, /\/\/ yield \{ type: EventType\.BROADCAST/);
  assert.match(source, /\/\/ yield \{ type: EventType\.SYNC/);
});

Deno.test("ssocket --generate writes a plug that type-checks and answers its event", async () => {
  await using tmp = await tempDir();
  const generated = await run(ssocketArgs("--generate", "chat/send"), { cwd: tmp.path });
  assert.equal(generated.code, 0, generated.stderr);
  assert.match(generated.stdout, /Created plugs\/chat\/send\.ts/);
  const file = join(tmp.path, "plugs", "chat", "send.ts");
  assert.equal(await Deno.readTextFile(file), plugTemplate("chat/send"));

  // The commented examples must compile too, once uncommented.
  const uncommented = join(tmp.path, "plugs", "chat", "all.ts");
  await Deno.writeTextFile(uncommented, plugTemplate("chat/all").replaceAll("// yield", "yield"));
  const checked = await run(["check", "--config", DENO_JSON, file, uncommented], {
    cwd: tmp.path,
  });
  assert.equal(checked.code, 0, checked.stderr);
  await Deno.remove(uncommented);

  const { process, url } = await serveCommand(
    ["--INSECURE.port", "0", "--INSECURE.hostname", "127.0.0.1"],
    { cwd: tmp.path },
  );
  await using _ = process;
  await using ws = await TestSocket.open(url);
  ws.send("chat/send", { text: "hi" });
  const reply = await ws.next();
  assert.equal(reply.event, "chat/send");
  assert.deepEqual((reply.json as { echo: unknown }).echo, { text: "hi" });
  await ws.close();
  assert.equal((await process.stop()).code, 0);
});

Deno.test("ssocket --generate writes into the configured plugsFolder", async () => {
  await using tmp = await tempDir();
  const result = await run(ssocketArgs("--generate=ping.ts", "--plugsFolder", "functions"), {
    cwd: tmp.path,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.ok((await Deno.stat(join(tmp.path, "functions", "ping.ts"))).isFile);
});

Deno.test("ssocket --generate refuses to overwrite an existing plug", async () => {
  await using tmp = await tempDir();
  await Deno.mkdir(join(tmp.path, "plugs"));
  const file = join(tmp.path, "plugs", "x.ts");
  await Deno.writeTextFile(file, "// mine\n");
  const result = await run(ssocketArgs("--generate", "x"), { cwd: tmp.path });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /plugs\/x\.ts already exists; not overwriting it/);
  assert.equal(await Deno.readTextFile(file), "// mine\n");
});

Deno.test("ssocket --generate refuses names outside the plugs folder", async () => {
  await using tmp = await tempDir();
  for (const name of ["../x", "/tmp/abs", "a/../../x", "./x"]) {
    const result = await run(ssocketArgs("--generate", name), { cwd: tmp.path });
    assert.equal(result.code, 2, name);
    assert.match(result.stderr, /must be a path inside the plugs folder/, name);
  }
  assert.deepEqual(await Array.fromAsync(Deno.readDir(tmp.path)), []);
});
