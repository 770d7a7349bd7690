import assert from "node:assert/strict";
import {
  negotiate,
  offeredProtocols,
  parseProtocolHeader,
  SUBPROTOCOL_PACK_V1,
  SUBPROTOCOL_V1,
  SUBPROTOCOLS,
} from "../../src/protocol/subprotocol.ts";

Deno.test("parseProtocolHeader() splits a comma list and drops blanks", () => {
  assert.deepEqual(parseProtocolHeader(" a ,b,, c "), ["a", "b", "c"]);
  assert.deepEqual(parseProtocolHeader(null), []);
  assert.deepEqual(parseProtocolHeader(""), []);
});

Deno.test("negotiate() picks ssocket.v1 wherever it is in the offer", () => {
  assert.deepEqual(negotiate("chat, ssocket.v1"), {
    token: SUBPROTOCOL_V1,
    legacy: false,
    pack: false,
  });
  assert.deepEqual(negotiate(SUBPROTOCOL_V1), {
    token: SUBPROTOCOL_V1,
    legacy: false,
    pack: false,
  });
});

Deno.test("negotiate() makes a connection without an ssocket token legacy", () => {
  assert.deepEqual(negotiate(null), { token: undefined, legacy: true, pack: false });
  assert.deepEqual(negotiate("chat, ssocket.v2, SSOCKET.V1"), {
    token: "chat",
    legacy: true,
    pack: false,
  });
});

Deno.test("offeredProtocols() lists every ssocket token first, then the application's, once", () => {
  const own = SUBPROTOCOLS.map((p) => p.token);
  assert.deepEqual(offeredProtocols(), own);
  assert.deepEqual(offeredProtocols("chat"), [...own, "chat"]);
  assert.deepEqual(offeredProtocols(["chat", SUBPROTOCOL_V1]), [...own, "chat"]);
  // Whatever the client offers, the server picks an ssocket token.
  assert.equal(negotiate(offeredProtocols(["chat"]).join(", ")).legacy, false);
});

Deno.test("negotiate() answers a legacy client's own protocol, never a token carrier", () => {
  assert.deepEqual(negotiate("chat, ssocket.token.abc"), {
    token: "chat",
    legacy: true,
    pack: false,
  });
  assert.deepEqual(negotiate("ssocket.token.abc, chat"), {
    token: "chat",
    legacy: true,
    pack: false,
  });
  assert.deepEqual(negotiate("ssocket.token.abc"), {
    token: "ssocket.token.abc",
    legacy: true,
    pack: false,
  });
  assert.deepEqual(negotiate(`chat, ${SUBPROTOCOL_V1}, ssocket.token.abc`), {
    token: SUBPROTOCOL_V1,
    legacy: false,
    pack: false,
  });
});

Deno.test("negotiate() prefers ssocket.pack.v1 over ssocket.v1, wherever each is offered", () => {
  const packed = { token: SUBPROTOCOL_PACK_V1, legacy: false, pack: true };
  assert.deepEqual(negotiate(`${SUBPROTOCOL_V1}, ${SUBPROTOCOL_PACK_V1}`), packed);
  assert.deepEqual(negotiate(`chat, ${SUBPROTOCOL_PACK_V1}`), packed);
  assert.deepEqual(negotiate(offeredProtocols().join(", ")), packed);
  // An older client that knows only ssocket.v1 gets one frame per message.
  assert.equal(negotiate(SUBPROTOCOL_V1).pack, false);
  assert.equal(offeredProtocols()[0], SUBPROTOCOL_PACK_V1);
});
