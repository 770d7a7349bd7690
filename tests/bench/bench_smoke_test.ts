/**
 * Smoke test of the bench: `bench/run.ts --quick` starts bare Deno and
 * ssocket (driven unpacked and with `ssocket.pack.v1`) as child processes, drives one short echo round with the load
 * client process, stops everything and prints the table. The real bench
 * (`deno task bench`) is not part of the tests.
 */

import { fileURLToPath } from "node:url";

const RUNNER = fileURLToPath(new URL("../../bench/run.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../", import.meta.url));
const TIMEOUT_MS = 20_000;

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

Deno.test("bench/run.ts --quick runs one echo round end to end and prints the table", async () => {
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", RUNNER, "--quick"],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const { code, stdout, stderr } = await command.output();
  const out = new TextDecoder().decode(stdout);
  const err = new TextDecoder().decode(stderr);
  assert(code === 0, `exit code ${code}\n${err}`);
  assert(out.includes("### echo C=50 W=10"), `no echo table in:\n${out}`);
  assert(/\| bare Deno \| [\d,]+ \| 1\.00x \|/.test(out), `no bare Deno row in:\n${out}`);
  assert(/\| ssocket \| [\d,]+ \| \d+\.\d\dx \|/.test(out), `no ssocket row in:\n${out}`);
  assert(/\| ssocket \|.*\| 0 \/ 0 \|$/m.test(out), `ssocket failed or lost requests:\n${out}`);
  assert(
    /\| ssocket, packed \| [\d,]+ \|.*\| 0 \/ 0 \|$/m.test(out),
    `no packed ssocket row, or failed or lost requests:\n${out}`,
  );
});

Deno.test("bench/run.ts rejects an unknown flag with a non-zero exit", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", RUNNER, "--nope"],
    cwd: REPO,
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  }).output();
  assert(code !== 0, "an unknown flag must fail");
  assert(new TextDecoder().decode(stderr).includes('Unknown flag "--nope"'), "names the flag");
});
