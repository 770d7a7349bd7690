import assert from "node:assert/strict";
import { parseArgs, plugName } from "../../src/cli/flags.ts";
import { overridesFromEnv } from "../../src/cli/env.ts";
import { overridesFromObject } from "../../src/cli/config_file.ts";
import { envName, OPTIONS } from "../../src/cli/options.ts";
import { closest, editDistance } from "../../src/cli/suggest.ts";
import { mergeLayers } from "../../src/cli/values.ts";
import { withDefaults } from "../../config.ts";

Deno.test("parseArgs() accepts --option value and --option=value alike", () => {
  assert.deepEqual(parseArgs(["--INSECURE.port", "6969"]), {
    kind: "serve",
    overrides: { INSECURE: { port: 6969 } },
  });
  assert.deepEqual(parseArgs(["--INSECURE.port=6969"]), parseArgs(["--INSECURE.port", "6969"]));
});

Deno.test("parseArgs() coerces values to each option's type", () => {
  const { overrides } = parseArgs([
    "--payloadLimit",
    "10",
    "--plugsFolder=./x",
    "--logLevel",
    "debug",
    "--memoryMetrics.isOn=true",
    "--preloadPlugs",
    "false",
    "--TLS.certFile",
    "c.pem",
  ]) as { overrides: Record<string, unknown> };
  assert.deepEqual(overrides, {
    payloadLimit: 10,
    plugsFolder: "./x",
    logLevel: "debug",
    memoryMetrics: { isOn: true },
    preloadPlugs: false,
    TLS: { certFile: "c.pem" },
  });
});

Deno.test("parseArgs() reads a bare boolean flag as true, even before another flag", () => {
  assert.deepEqual(parseArgs(["--secure"]), { kind: "serve", overrides: { secure: true } });
  assert.deepEqual(parseArgs(["--secure", "--payloadLimit", "1"]), {
    kind: "serve",
    overrides: { secure: true, payloadLimit: 1 },
  });
});

Deno.test("parseArgs() lets the last of repeated flags win", () => {
  assert.deepEqual(parseArgs(["--payloadLimit", "1", "--payloadLimit=2"]), {
    kind: "serve",
    overrides: { payloadLimit: 2 },
  });
});

Deno.test("parseArgs() names the closest option for a typo", () => {
  assert.throws(
    () => parseArgs(["--payloadLimt", "5"]),
    (err: Error) =>
      err instanceof TypeError &&
      err.message === `Unknown option "--payloadLimt"; did you mean "--payloadLimit"?`,
  );
  assert.throws(() => parseArgs(["--insecure.port", "1"]), /did you mean "--INSECURE.port"\?/);
  assert.throws(() => parseArgs(["--zzzzzzzz"]), /^TypeError: Unknown option "--zzzzzzzz"$/);
});

Deno.test("parseArgs() rejects values of the wrong type, naming the option", () => {
  assert.throws(() => parseArgs(["--INSECURE.port", "abc"]), {
    name: "TypeError",
    message: `--INSECURE.port expects a number, got "abc"`,
  });
  assert.throws(() => parseArgs(["--secure=maybe"]), /--secure expects a boolean/);
  assert.throws(() => parseArgs(["--logLevel", "loud"]), /--logLevel expects one of "error"/);
  assert.throws(() => parseArgs(["--payloadLimit", ""]), /--payloadLimit expects a number/);
  assert.throws(() => parseArgs(["--payloadLimit"]), /"--payloadLimit" needs a value/);
  assert.throws(() => parseArgs(["--INSECURE.port", "70000"]), RangeError);
  assert.throws(() => parseArgs(["--payloadLimit", "-1"]), RangeError);
});

Deno.test("parseArgs() rejects groups, positionals and short flags", () => {
  assert.throws(() => parseArgs(["--INSECURE", "1"]), /"--INSECURE" is a group of options/);
  assert.throws(() => parseArgs(["serve"]), /Unexpected argument "serve"/);
  assert.throws(() => parseArgs(["-p", "1"]), /Unexpected argument "-p"/);
});

Deno.test("parseArgs() recognises the commands", () => {
  assert.deepEqual(parseArgs(["--version"]), { kind: "version" });
  assert.deepEqual(parseArgs(["-h"]), { kind: "help", topics: [] });
  assert.deepEqual(parseArgs(["--help", "--payloadLimit", "--TLS"]), {
    kind: "help",
    topics: ["payloadLimit", "TLS"],
  });
  assert.throws(() => parseArgs(["-h", "--payloadLimt"]), /did you mean "--payloadLimit"/);
  assert.deepEqual(parseArgs(["--generate", "chat/send", "--plugsFolder", "p"]), {
    kind: "generate",
    name: "chat/send",
    overrides: { plugsFolder: "p" },
  });
  assert.throws(() => parseArgs(["--generate"]), /"--generate" needs a plug name/);
});

Deno.test("plugName() keeps names inside the plugs folder", () => {
  assert.equal(plugName("chat/send.ts"), "chat/send");
  for (const bad of ["../x", "/abs", "a/../../b", "a//b", "./a", "a\\b", ""]) {
    assert.throws(() => plugName(bad), RangeError, bad);
  }
});

Deno.test("envName() maps every option to a distinct SSOCKET_* name", () => {
  assert.equal(envName("payloadLimit"), "SSOCKET_PAYLOAD_LIMIT");
  assert.equal(envName("INSECURE.port"), "SSOCKET_INSECURE_PORT");
  assert.equal(envName("TLS.certFile"), "SSOCKET_TLS_CERT_FILE");
  assert.equal(envName("memoryMetrics.isOn"), "SSOCKET_MEMORY_METRICS_IS_ON");
  const names = OPTIONS.map((option) => option.env);
  assert.equal(new Set(names).size, names.length);
});

Deno.test("overridesFromEnv() reads SSOCKET_* variables and ignores others", () => {
  assert.deepEqual(
    overridesFromEnv({
      SSOCKET_INSECURE_PORT: "9000",
      SSOCKET_SECURE: "1",
      SSOCKET_LOG_LEVEL: "warn",
      PATH: "/bin",
    }),
    { INSECURE: { port: 9000 }, secure: true, logLevel: "warn" },
  );
  assert.throws(
    () => overridesFromEnv({ SSOCKET_PAYLOADLIMIT: "1" }),
    /Unknown environment variable "SSOCKET_PAYLOADLIMIT"; did you mean "SSOCKET_PAYLOAD_LIMIT"\?/,
  );
  assert.throws(
    () => overridesFromEnv({ SSOCKET_PAYLOAD_LIMIT: "lots" }),
    /SSOCKET_PAYLOAD_LIMIT \(payloadLimit\) expects a number, got "lots"/,
  );
});

Deno.test("overridesFromObject() checks config-file values without coercing them", () => {
  assert.deepEqual(
    overridesFromObject({ payloadLimit: 5, INSECURE: { port: 1 } }, "ssocket.config.json"),
    { payloadLimit: 5, INSECURE: { port: 1 } },
  );
  assert.throws(
    () => overridesFromObject({ payloadLimit: "5" }, "ssocket.config.json"),
    /"payloadLimit" in ssocket.config.json expects a number, got "5"/,
  );
  assert.throws(
    () => overridesFromObject({ INSECURE: { prot: 1 } }, "ssocket.config.json"),
    /Unknown option "INSECURE.prot" in ssocket.config.json; did you mean "INSECURE.port"\?/,
  );
  assert.throws(() => overridesFromObject([], "ssocket.config.json"), TypeError);
});

Deno.test("mergeLayers() lets later layers win, key by key within groups", () => {
  const merged = mergeLayers(
    { payloadLimit: 1, INSECURE: { port: 1, hostname: "a" } },
    { INSECURE: { port: 2 } },
    { payloadLimit: 3 },
  );
  assert.deepEqual(merged, { payloadLimit: 3, INSECURE: { port: 2, hostname: "a" } });
  assert.equal(withDefaults(merged).TLS.port, 443);
});

Deno.test("closest() finds near names and gives up on far ones", () => {
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(closest("secrue", ["secure", "plugsFolder"]), "secure");
  assert.equal(closest("qqqqqq", ["secure", "plugsFolder"]), undefined);
});
