/**
 * Installs `ssocket` with `deno install -g` into a temporary root, with the
 * permission set README.md recommends, and runs it from another folder.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { TestSocket } from "../_harness.ts";
import { DENO_JSON, IMPORT_MAP, MOD, run, Spawned, tempDir } from "./_command.ts";

/** The permissions documented in README.md as sufficient. */
const PERMISSIONS = ["--allow-net", "--allow-read", "--allow-env", "--allow-write=plugs"];
const ignore = Deno.build.os === "windows";
const PLUG = `import { EventType } from "ssocket";
export async function* ping() { yield { type: EventType.MESSAGE, payload: "pong" }; }
`;

/** Installs the command as `name` under `root`; returns the path of the executable. */
async function install(root: string, name: string, extra: string[]): Promise<string> {
  const result = await run(
    ["install", "-g", "-f", "-n", name, "--root", root, ...extra, MOD],
    { cwd: root },
  );
  assert.equal(result.code, 0, result.stderr);
  return join(root, "bin", name);
}

/** The installed script runs `deno`, which must be on the PATH. */
function pathEnv(): Record<string, string> {
  return { PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}` };
}

Deno.test({
  name: "the installed ssocket command helps, generates and serves from any folder",
  ignore,
  async fn() {
    await using root = await tempDir("ssocket_root_");
    await using work = await tempDir("ssocket_work_");
    const ssocket = await install(root.path, "ssocket", [
      ...PERMISSIONS,
      "--import-map",
      IMPORT_MAP,
    ]);
    const options = { cwd: work.path, env: pathEnv(), cmd: ssocket };

    const help = await run(["-h"], options);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /--INSECURE\.port <number>/);

    const generated = await run(["--generate", "x"], options);
    assert.equal(generated.code, 0, generated.stderr);
    assert.ok((await Deno.stat(join(work.path, "plugs", "x.ts"))).isFile);
    await Deno.writeTextFile(join(work.path, "plugs", "ping.ts"), PLUG);

    await using server = new Spawned(
      ["--INSECURE.port", "0", "--INSECURE.hostname", "127.0.0.1"],
      options,
    );
    const url = await server.url();
    await using ws = await TestSocket.open(url);
    ws.send("ping", null);
    assert.equal((await ws.next()).json, "pong");
    ws.send("x", { a: 1 });
    assert.deepEqual(((await ws.next()).json as { echo: unknown }).echo, { a: 1 });
    const result = await server.stop("SIGTERM");
    assert.equal((await ws.closed).code, 1001);
    assert.equal(result.code, 0, result.stderr);
  },
});

Deno.test({
  name:
    'deno install --config alone does not resolve plugs\' "ssocket" import (update README.md if this changes)',
  ignore,
  async fn() {
    await using root = await tempDir("ssocket_root_");
    await using work = await tempDir("ssocket_work_");
    const ssocket = await install(root.path, "ssocket_config_only", [
      "-A",
      "--config",
      DENO_JSON,
    ]);
    await Deno.mkdir(join(work.path, "plugs"));
    await Deno.writeTextFile(join(work.path, "plugs", "ping.ts"), PLUG);
    await using server = new Spawned(
      ["--INSECURE.port", "0", "--INSECURE.hostname", "127.0.0.1"],
      { cwd: work.path, env: pathEnv(), cmd: ssocket },
    );
    await server.url();
    const { stderr } = await server.stop("SIGTERM");
    assert.match(stderr, /Plug "ping" .* failed to load.*Import "ssocket" not a dependency/);
  },
});
