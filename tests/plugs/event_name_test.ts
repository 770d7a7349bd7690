import assert from "node:assert/strict";
import { eventNameOf, isSafeEventName } from "../../src/plugs/event_name.ts";

Deno.test("isSafeEventName() accepts nested relative names", () => {
  for (const name of ["echo", "chat/send", "a-b_c.d/e1", "é/ü"]) {
    assert.ok(isSafeEventName(name), name);
  }
});

Deno.test("isSafeEventName() rejects names that could leave the plugs folder or hide bytes", () => {
  const hostile = [
    "",
    "..",
    "../x",
    "a/../b",
    "a/..",
    "./a",
    "a/./b",
    "/abs",
    "a//b",
    "a/",
    "a\\b",
    "a\u0000b",
    "a\nb",
    "\u007f",
    "a\u0085",
    "x".repeat(256),
  ];
  for (const name of hostile) assert.ok(!isSafeEventName(name), JSON.stringify(name));
});

Deno.test("isSafeEventName() and eventNameOf() keep $ names for the runtime", () => {
  assert.ok(!isSafeEventName("$presence"));
  assert.ok(isSafeEventName("a/$b"), "only a leading $ is reserved");
  assert.equal(eventNameOf("$presence.ts"), undefined);
});

Deno.test("eventNameOf() maps plug files to events and skips other files", () => {
  assert.equal(eventNameOf("echo.ts"), "echo");
  assert.equal(eventNameOf("chat/send.js"), "chat/send");
  assert.equal(eventNameOf("chat\\send.ts"), "chat/send");
  assert.equal(eventNameOf("types.d.ts"), undefined);
  assert.equal(eventNameOf("notes.md"), undefined);
  assert.equal(eventNameOf("../escape.ts"), undefined);
  assert.equal(eventNameOf(".ts"), undefined);
  assert.equal(eventNameOf("_shared.ts"), undefined, "private helper file");
  assert.equal(eventNameOf("chat/_members.ts"), undefined, "private helper in a folder");
  assert.equal(eventNameOf("_lib/util.ts"), undefined, "file in a private folder");
});
