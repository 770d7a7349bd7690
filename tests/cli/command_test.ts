import assert from "node:assert/strict";
import { join } from "node:path";
import { TestSocket } from "../_harness.ts";
import { encodeJsonFrame } from "../../src/protocol/frame.ts";
import { VERSION } from "../../src/version.ts";
import { OPTIONS } from "../../src/cli/options.ts";
import { run, serveCommand, Spawned, ssocketArgs, tempDir } from "./_command.ts";

const LOCAL = ["--INSECURE.port", "0", "--INSECURE.hostname", "127.0.0.1"];
const ECHO = "export async function* echo(m) { yield { payload: m.payload }; }\n";
const TIMESTAMPED = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (ERROR|WARN |INFO |DEBUG) /;

async function writePlug(dir: string, name: string, source: string): Promise<void> {
  await Deno.mkdir(join(dir, "plugs"), { recursive: true });
  await Deno.writeTextFile(join(dir, "plugs", name), source);
}

Deno.test("ssocket -h lists every option, the groups and the commands", async () => {
  await using tmp = await tempDir();
  const { code, stdout } = await run(ssocketArgs("-h"), { cwd: tmp.path });
  assert.equal(code, 0);
  for (const option of OPTIONS) assert.ok(stdout.includes(`--${option.path} <`), option.path);
  for (const group of ["INSECURE", "TLS", "memoryMetrics"]) {
    assert.match(stdout, new RegExp(`^${group} options: `, "m"));
  }
  assert.match(stdout, /--generate NAME/);
  assert.match(stdout, /--version/);
  assert.match(stdout, /--payloadLimit <number> {2}\(default 250000, env SSOCKET_PAYLOAD_LIMIT\)/);
});

Deno.test("ssocket -h --payloadLimit prints only that option's documentation", async () => {
  await using tmp = await tempDir();
  const { code, stdout } = await run(ssocketArgs("-h", "--payloadLimit"), { cwd: tmp.path });
  assert.equal(code, 0);
  assert.match(stdout, /^ {2}--payloadLimit <number>/);
  assert.match(stdout, /PAYLOAD_TOO_LARGE/);
  assert.doesNotMatch(stdout, /--secure|INSECURE/);
});

Deno.test("ssocket --version prints the version", async () => {
  await using tmp = await tempDir();
  const { code, stdout } = await run(ssocketArgs("--version"), { cwd: tmp.path });
  assert.equal(code, 0);
  assert.equal(stdout.trim(), `ssocket ${VERSION}`);
});

Deno.test("ssocket exits 2 before starting on an unknown option or a wrong type", async () => {
  await using tmp = await tempDir();
  const cases: [string[], Record<string, string>, RegExp][] = [
    [["--payloadLimt", "5"], {}, /Unknown option "--payloadLimt"; did you mean "--payloadLimit"\?/],
    [["--INSECURE.port=abc"], {}, /--INSECURE\.port expects a number, got "abc"/],
    [["--logLevel", "loud"], {}, /--logLevel expects one of "error" \| "warn"/],
    [["--secure=yes please"], {}, /--secure expects a boolean/],
    [[], { SSOCKET_INSECURE_PROT: "1" }, /did you mean "SSOCKET_INSECURE_PORT"\?/],
    [[], { SSOCKET_PAYLOAD_LIMIT: "many" }, /SSOCKET_PAYLOAD_LIMIT \(payloadLimit\) expects/],
  ];
  for (const [args, env, message] of cases) {
    const { code, stdout, stderr } = await run(ssocketArgs(...args, ...LOCAL), {
      cwd: tmp.path,
      env,
    });
    assert.equal(code, 2, `${args} ${JSON.stringify(env)}: ${stderr}`);
    assert.match(stderr, message);
    assert.doesNotMatch(stdout, /Listening on/);
  }
});

Deno.test("ssocket exits 2 on a config file with a bad option", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(
    join(tmp.path, "ssocket.config.ts"),
    "export default { payloadLimt: 1 };",
  );
  const result = await run(ssocketArgs(...LOCAL), { cwd: tmp.path });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /"payloadLimt" in ssocket\.config\.ts; did you mean "payloadLimit"/);
});

Deno.test("ssocket layers defaults < ssocket.config.json < SSOCKET_* < flags", async () => {
  await using tmp = await tempDir();
  await writePlug(tmp.path, "echo.ts", ECHO);
  await Deno.writeTextFile(
    join(tmp.path, "ssocket.config.json"),
    JSON.stringify({ INSECURE: { port: 0, hostname: "127.0.0.1" }, logLevel: "warn" }) +
      "\n",
  );
  const env = { SSOCKET_LOG_LEVEL: "debug", SSOCKET_PAYLOAD_LIMIT: "2000" };
  const { process, url } = await serveCommand(["--payloadLimit", "3000"], {
    cwd: tmp.path,
    env,
  });
  await using _ = process;
  // The file's hostname and port applied; the environment's level beat the file's.
  assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\/$/);
  assert.ok(process.lines.some((line) => / DEBUG No INIT file at /.test(line)));
  // The flag's payloadLimit (3000) beat the environment's (2000).
  await using ws = await TestSocket.open(url);
  const payload = { text: "x".repeat(2500) };
  assert.ok(encodeJsonFrame(0, "echo", payload).length > 2000);
  ws.send("echo", payload);
  assert.deepEqual((await ws.next()).json, payload);
  await ws.close();
  assert.equal((await process.stop()).code, 0);
});

Deno.test("ssocket reads a default export from ssocket.config.ts", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(
    join(tmp.path, "ssocket.config.ts"),
    `export default { INSECURE: { port: 0, hostname: "127.0.0.1" }, plugsFolder: "./functions" };\n`,
  );
  await Deno.mkdir(join(tmp.path, "functions"));
  await Deno.writeTextFile(join(tmp.path, "functions", "echo.ts"), ECHO);
  const { process, url } = await serveCommand([], { cwd: tmp.path });
  await using _ = process;
  assert.match(url, /^ws:\/\/127\.0\.0\.1:/);
  assert.ok(process.lines.some((line) => line.includes(`Loaded plug "echo"`)));
  assert.equal((await process.stop()).code, 0);
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`ssocket closes connections with 1001 and exits 0 on ${signal}`, async () => {
    await using tmp = await tempDir();
    await writePlug(tmp.path, "echo.ts", ECHO);
    const { process, url } = await serveCommand(LOCAL, { cwd: tmp.path });
    await using _ = process;
    await using ws = await TestSocket.open(url);
    ws.send("echo", { hello: "world" });
    assert.deepEqual((await ws.next()).json, { hello: "world" });
    const result = await process.stop(signal);
    assert.equal((await ws.closed).code, 1001);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`Received ${signal}; draining: .*close with 1001`));
  });
}

Deno.test("ssocket awaits INIT(server) from INIT.ts before accepting connections", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(
    join(tmp.path, "INIT.ts"),
    `export async function INIT(server) {
  await Promise.resolve();
  server.log.info("INIT ran");
  server.onConnect((client) => client.send({ event: "welcome", payload: "hi" }));
}
`,
  );
  const { process, url } = await serveCommand(LOCAL, { cwd: tmp.path });
  await using _ = process;
  const initAt = process.lines.findIndex((line) => line.endsWith("INIT ran"));
  const listenAt = process.lines.findIndex((line) => line.includes("Listening on"));
  assert.ok(initAt !== -1 && initAt < listenAt, process.lines.join("\n"));
  await using ws = await TestSocket.open(url);
  const welcome = await ws.next();
  assert.equal(welcome.event, "welcome");
  assert.equal(welcome.json, "hi");
  await ws.close();
  assert.equal((await process.stop()).code, 0);
});

Deno.test("ssocket stops with status 1 and the error when INIT throws", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(
    join(tmp.path, "INIT.ts"),
    `export function INIT() { throw new Error("database unreachable"); }\n`,
  );
  const { code, stdout, stderr } = await run(ssocketArgs(...LOCAL), { cwd: tmp.path });
  assert.equal(code, 1);
  assert.match(stderr, /ERROR Start-up failed: Error: database unreachable/);
  assert.doesNotMatch(stdout, /Listening on/);
});

Deno.test("ssocket log levels filter by severity and every line is timestamped", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(
    join(tmp.path, "INIT.ts"),
    `export function INIT(server) {
  for (const level of ["error", "warn", "info", "debug"]) server.log[level](level + "-mark");
  console.log("INIT done");
}
`,
  );
  await writePlug(tmp.path, "echo.ts", ECHO);
  const seen: Record<string, string> = {};
  for (const level of ["warn", "debug"]) {
    await using process = new Spawned(ssocketArgs(...LOCAL, "--logLevel", level), {
      cwd: tmp.path,
    });
    await process.waitForLine(/^INIT done$/);
    const { code, stdout, stderr } = await process.stop();
    assert.equal(code, 0);
    seen[level] = stdout + "\n" + stderr;
    for (const line of [...stdout.split("\n"), ...stderr.split("\n")]) {
      if (line && line !== "INIT done") assert.match(line, TIMESTAMPED);
    }
    assert.match(stderr, /ERROR error-mark/);
    assert.match(stderr, /WARN {2}warn-mark/);
  }
  assert.doesNotMatch(seen.warn, /info-mark|debug-mark|Listening on/);
  assert.match(seen.debug, /INFO {2}info-mark/);
  assert.match(seen.debug, /DEBUG debug-mark/);
});

Deno.test("ssocket --memoryMetrics.isOn logs heap and RSS in MiB", async () => {
  await using tmp = await tempDir();
  const { process } = await serveCommand(
    [...LOCAL, "--memoryMetrics.isOn", "--memoryMetrics.interval", "50"],
    { cwd: tmp.path },
  );
  await using _ = process;
  const line = await process.waitForLine(/Memory: /);
  const match = line.match(/Memory: heap ([\d.]+) MiB of ([\d.]+) MiB, RSS ([\d.]+) MiB$/);
  assert.ok(match, line);
  const [heapUsed, heapTotal, rss] = match.slice(1).map(Number);
  assert.ok(heapUsed > 0 && heapUsed <= heapTotal, line);
  // A Deno process has tens of MiB resident: bytes or KiB would be far off.
  assert.ok(rss >= 5 && rss < 4096, line);
  assert.match(line, TIMESTAMPED);
  assert.equal((await process.stop()).code, 0);
});

Deno.test("ssocket in worker mode starts its plug host without warnings", async () => {
  await using tmp = await tempDir();
  await writePlug(tmp.path, "echo.ts", ECHO);
  const { process, url } = await serveCommand([
    "--isolation.mode",
    "worker",
    "--INSECURE.port",
    "0",
    "--INSECURE.hostname",
    "127.0.0.1",
  ], { cwd: tmp.path });
  await using _ = process;
  // The plug is served by the host, so whatever the host said at start is in the log by now.
  await using ws = await TestSocket.open(url);
  ws.send("echo", "hi");
  assert.equal((await ws.next()).json, "hi");
  await ws.close();
  // Given `--import-map` beside the repo's deno.json (which names one), the
  // host's Deno warned at every start that it ignores the file's.
  const { stdout, stderr } = await process.stop();
  const warnings = `${stdout}\n${stderr}`.split("\n").filter((line) => /WARN|Warning/.test(line));
  assert.deepEqual(warnings, []);
});
