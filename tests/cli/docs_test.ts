import assert from "node:assert/strict";
import { OPTIONS } from "../../src/cli/options.ts";
import { REPO } from "./_command.ts";

Deno.test("docs/CLI.md shows every option with an example flag, its default and its variable", async () => {
  const text = await Deno.readTextFile(`${REPO}docs/CLI.md`);
  for (const option of OPTIONS) {
    const row = text.split("\n").find((line) => line.startsWith(`| \`ssocket --${option.path}`));
    assert.ok(row, `docs/CLI.md has no example row for --${option.path}`);
    assert.ok(
      row.includes(`\`${JSON.stringify(option.defaultValue)}\``),
      `default of ${option.path}`,
    );
    assert.ok(row.includes(`\`${option.env}\``), `variable of ${option.path}`);
  }
});
