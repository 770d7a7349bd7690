import assert from "node:assert/strict";
import { join } from "node:path";
import { fields, Logger } from "../../src/log.ts";
import { TEST_ISOLATION, TestSocket } from "../_harness.ts";
import { serveCommand, tempDir } from "../cli/_command.ts";

Deno.test("Logger with logFormat json writes one object per line: time, level, msg, fields, error", () => {
  const lines: string[] = [];
  const log = new Logger(
    { logLevel: "info", printLogToConsole: false, logSizeLimit: 1000, logFormat: "json" },
    (_level, line) => lines.push(line),
  );
  log.info("Listening on", 8080);
  log.error(
    "Plug failed:",
    fields({ event: "chat/send", code: "NOPE", msg: "clash" }),
    new Error("x"),
  );
  log.debug("not written");
  assert.equal(lines.length, 2);
  const [first, second] = lines.map((line) => JSON.parse(line));
  assert.deepEqual(Object.keys(first), ["time", "level", "msg"]);
  assert.equal(first.level, "info");
  assert.equal(first.msg, "Listening on 8080");
  assert.ok(!Number.isNaN(Date.parse(first.time)));
  assert.equal(second.msg, "Plug failed");
  assert.equal(second.event, "chat/send");
  assert.equal(second.code, "NOPE");
  assert.equal(second.field_msg, "clash");
  assert.match(second.error, /^Error: x\n/);
  assert.ok(lines.every((line) => !line.includes("\n")));
});

Deno.test("text logs end fields with key=value", () => {
  const lines: string[] = [];
  const log = new Logger(
    { logLevel: "info", printLogToConsole: false, logSizeLimit: 1000 },
    (_level, line) => lines.push(line),
  );
  log.info("Opened", fields({ connection: "abc", code: 1000 }));
  assert.match(lines[0], /INFO {2}Opened connection=abc code=1000$/);
});

Deno.test("ssocket --logFormat json: every output line is a JSON object, a plug failure has its fields", async () => {
  await using tmp = await tempDir();
  await Deno.mkdir(join(tmp.path, "plugs"));
  await Deno.writeTextFile(
    join(tmp.path, "plugs", "boom.ts"),
    "export async function* boom() { throw new Error('kaput'); }\n",
  );
  const { process, url } = await serveCommand(
    [
      ...["--INSECURE.port", "0", "--INSECURE.hostname", "127.0.0.1", "--logFormat", "json"],
      ...["--isolation.mode", TEST_ISOLATION],
    ],
    { cwd: tmp.path },
  );
  await using _ = process;
  {
    await using ws = await TestSocket.open(url);
    await ws.call("boom", null, 1);
  }
  const result = await process.stop();
  assert.equal(result.code, 0);
  const records = [...result.stdout.split("\n"), ...result.stderr.split("\n")]
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line));
  assert.ok(records.every((r) => typeof r.time === "string" && r.level && "msg" in r));
  assert.ok(records.some((r) => r.msg.startsWith("Listening on ws://")));
  const failure = records.find((r) => r.msg === 'Plug "boom" failed');
  assert.ok(failure, JSON.stringify(records));
  assert.equal(failure.level, "error");
  assert.equal(failure.event, "boom");
  assert.equal(failure.code, "PLUG_ERROR");
  assert.match(failure.connection, /^[0-9a-f-]{36}$/);
  assert.match(failure.error, /kaput/);
});
