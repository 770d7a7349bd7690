import assert from "node:assert/strict";
import { OPTIONS } from "../../src/cli/options.ts";
import { REPO } from "./_command.ts";

const README = await Deno.readTextFile(`${REPO}README.md`);

Deno.test("README.md shows every option with an example flag, its default and its variable", () => {
  for (const option of OPTIONS) {
    const row = README.split("\n").find((line) => line.startsWith(`| \`ssocket --${option.path}`));
    assert.ok(row, `README.md has no example row for --${option.path}`);
    assert.ok(
      row.includes(`\`${JSON.stringify(option.defaultValue)}\``),
      `default of ${option.path}`,
    );
    assert.ok(row.includes(`\`${option.env}\``), `variable of ${option.path}`);
  }
});

Deno.test("README.md's install command uses the permissions the install test proves enough", () => {
  assert.match(README, /--allow-net --allow-read --allow-env --allow-write=plugs/);
  assert.match(README, /--import-map <repo>\/import_map\.json/);
});
