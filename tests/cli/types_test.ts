/**
 * `ssocket --types`: the generated event map types a real client, and a
 * plug whose types change incompatibly makes that client fail `deno check`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseArgs } from "../../src/cli/flags.ts";
import { DENO_JSON, REPO, run, ssocketArgs, tempDir } from "./_command.ts";

const COUNT = (type: string) =>
  `import type { SocketMessage } from "ssocket";
export async function* count(m: SocketMessage<{ to: ${type} }>) {
  for (let i = 0; i < Number(m.payload.to); i++) yield { payload: { i } };
}`;

const FORM = `import { EventType, type SocketMessage } from "ssocket";
import * as v from "valibot";
export const schema = {
  payload: v.object({ email: v.string() }),
  input: v.instance(Uint8Array),
};
export async function* form(m: SocketMessage<{ email: string }, Uint8Array>) {
  for await (const chunk of m.input) {
    yield { event: "form/seen" as const, type: EventType.BROADCAST, payload: { bytes: chunk.length } };
  }
  yield { payload: { saved: m.payload.email } };
}`;

/** A client of the generated map: it compiles only while the plugs keep these shapes. */
const CLIENT = (mod: string) =>
  `import type { Events } from "./ssocket.d.ts";
import { connect } from "${mod}";
export async function client() {
  const c = await connect<Events>("ws://127.0.0.1:1/");
  for await (const { i } of c.call("count", { to: 3 })) i.toFixed();
  const form = c.call("form", { email: "a@b.co" });
  form.write(new Uint8Array(4));
  const saved: string | undefined = (await form.first())?.saved;
  c.on("form/seen", ({ bytes }) => bytes.toFixed());
  // @ts-expect-error: the schema's input is bytes, not text
  form.write("text");
  // @ts-expect-error: no plug answers this event
  c.call("nope");
  return saved;
}`;

Deno.test("parseArgs() reads --types with and without a file", () => {
  assert.deepEqual(parseArgs(["--types"]), { kind: "types", file: "ssocket.d.ts", overrides: {} });
  assert.deepEqual(parseArgs(["--types", "x.d.ts", "--plugsFolder", "p"]), {
    kind: "types",
    file: "x.d.ts",
    overrides: { plugsFolder: "p" },
  });
});

Deno.test("ssocket --types writes an event map a client type-checks against", async () => {
  await using tmp = await tempDir();
  const plugs = join(tmp.path, "plugs");
  await Deno.mkdir(plugs);
  await Deno.writeTextFile(join(plugs, "count.ts"), COUNT("number"));
  await Deno.writeTextFile(join(plugs, "form.ts"), FORM);
  await Deno.writeTextFile(join(plugs, "_helper.ts"), "export const x = 1;");
  const client = join(tmp.path, "client.ts");
  await Deno.writeTextFile(client, CLIENT(join(REPO, "src/client/mod.ts")));

  const generate = () => run(ssocketArgs("--types"), { cwd: tmp.path });
  const check = () => run(["check", "--config", DENO_JSON, client], { cwd: tmp.path });

  const generated = await generate();
  assert.equal(generated.code, 0, generated.stderr);
  assert.match(generated.stdout, /types of 2 plug\(s\)/);
  const checked = await check();
  assert.equal(checked.code, 0, checked.stderr);

  // The plug now wants a string: the client's { to: 3 } no longer fits.
  await Deno.writeTextFile(join(plugs, "count.ts"), COUNT("string"));
  assert.equal((await generate()).code, 0);
  const broken = await check();
  assert.notEqual(broken.code, 0, "deno check passed against a changed plug");
  assert.match(broken.stderr, /TS2322|TS2345/);
  assert.match(broken.stderr, /client\.ts/);
});
