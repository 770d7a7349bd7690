import assert from "node:assert/strict";
import {
  CONFIG_DOCS_PATH,
  generateConfigDocs,
  renderConfigDocs,
} from "../../src/cli/gen_config_docs.ts";
import { renderHelp } from "../../src/cli/help.ts";
import { buildOptions, GROUPS, OPTIONS } from "../../src/cli/options.ts";
import { defaultConfig } from "../../config.ts";

Deno.test("config_docs.json matches the doc comments of config.ts (run `deno task docs:config`)", async () => {
  const fresh = renderConfigDocs(await generateConfigDocs());
  const stored = await Deno.readTextFile(CONFIG_DOCS_PATH);
  assert.equal(stored, fresh, "config_docs.json is stale: run `deno task docs:config`");
});

Deno.test("every option in config.ts has a doc comment", async () => {
  const docs = await generateConfigDocs();
  const undocumented = Object.entries(docs).filter(([, doc]) => doc.doc.trim() === "");
  assert.deepEqual(undocumented.map(([path]) => path), []);
});

Deno.test("buildOptions() refuses an option without documentation", () => {
  assert.throws(
    () => buildOptions({ payloadLimit: { type: "number", doc: "" } }, defaultConfig),
    /Option "payloadLimit" has no doc comment/,
  );
  assert.throws(
    () => buildOptions({ payloadLimit: { type: "string", doc: "x" } }, defaultConfig),
    /Default of "payloadLimit" is number, its documented type is string/,
  );
});

Deno.test("the option table covers every field of defaultConfig, and no other", () => {
  const leaves: string[] = [];
  for (const [key, value] of Object.entries(defaultConfig)) {
    if (typeof value === "object") leaves.push(...Object.keys(value).map((k) => `${key}.${k}`));
    else leaves.push(key);
  }
  assert.deepEqual(OPTIONS.map((option) => option.path).sort(), leaves.sort());
  assert.deepEqual(GROUPS.map((group) => group.name), [
    "INSECURE",
    "TLS",
    "memoryMetrics",
    "cluster",
    "limits",
    "auth",
    "metrics",
    "recovery",
    "isolation",
  ]);
});

Deno.test("the original ssocket options keep their defaults", () => {
  const byPath = new Map(OPTIONS.map((option) => [option.path, option.defaultValue]));
  assert.equal(byPath.get("payloadLimit"), 250_000);
  assert.equal(byPath.get("plugsFolder"), "./plugs");
  assert.equal(byPath.get("INSECURE.port"), 8080);
  for (
    const path of [
      "preloadPlugs",
      "excludeSenderOnBroadcast",
      "secure",
      "printLogToConsole",
      "logLevel",
      "logSizeLimit",
      "INSECURE.hostname",
      "TLS.port",
      "TLS.hostname",
      "TLS.certFile",
      "TLS.keyFile",
      "validateFunctionShape",
      "memoryMetrics.isOn",
      "memoryMetrics.interval",
    ]
  ) {
    assert.ok(byPath.has(path), path);
  }
});

Deno.test("renderHelp() shows every option with its type, default, variable and doc", () => {
  const help = renderHelp();
  for (const option of OPTIONS) {
    assert.ok(help.includes(`--${option.path} <`), option.path);
    assert.ok(help.includes(`default ${JSON.stringify(option.defaultValue)}`), option.path);
    assert.ok(help.includes(option.env), option.env);
    const firstWords = option.doc.split(/\s+/).slice(0, 4).join(" ");
    assert.ok(help.replaceAll(/\s+/g, " ").includes(firstWords), option.path);
  }
  for (const group of GROUPS) assert.ok(help.includes(`${group.name} options: ${group.doc}`));
  assert.ok(help.includes("--generate NAME") && help.includes("--version"));
});
