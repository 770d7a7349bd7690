import assert from "node:assert/strict";
import { CloseCode, ErrorCode } from "../../src/protocol/errors.ts";

const PROTOCOL = await Deno.readTextFile(new URL("../../docs/PROTOCOL.md", import.meta.url));

Deno.test("docs/PROTOCOL.md lists every ErrorCode and the close codes the server sends itself", () => {
  const errors = PROTOCOL.slice(PROTOCOL.indexOf("## Errors"), PROTOCOL.indexOf("## Close codes"));
  for (const code of Object.values(ErrorCode)) {
    assert.ok(errors.includes(`\`${code}\``), `${code} is missing from the error table`);
  }
  const closes = PROTOCOL.slice(PROTOCOL.indexOf("## Close codes"));
  for (const code of [CloseCode.NORMAL, CloseCode.GOING_AWAY, CloseCode.TOKEN_EXPIRED]) {
    assert.match(closes, new RegExp(`^\\| ${code} \\|`, "m"), `close code ${code}`);
  }
});
