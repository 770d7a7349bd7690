import assert from "node:assert/strict";
import {
  featuresOf,
  negotiate,
  offeredProtocols,
  parseProtocolHeader,
  SUBPROTOCOL_PACK_RECOVERY_V1,
  SUBPROTOCOL_PACK_V1,
  SUBPROTOCOL_RECOVERY_V1,
  SUBPROTOCOL_V1,
  SUBPROTOCOLS,
} from "../../src/protocol/subprotocol.ts";

const V1 = { token: SUBPROTOCOL_V1, legacy: false, pack: false, recovery: false };
const LEGACY = { token: undefined, legacy: true, pack: false, recovery: false };

Deno.test("parseProtocolHeader() splits a comma list and drops blanks", () => {
  assert.deepEqual(parseProtocolHeader(" a ,b,, c "), ["a", "b", "c"]);
  assert.deepEqual(parseProtocolHeader(null), []);
  assert.deepEqual(parseProtocolHeader(""), []);
});

Deno.test("negotiate() picks ssocket.v1 wherever it is in the offer", () => {
  assert.deepEqual(negotiate("chat, ssocket.v1"), V1);
  assert.deepEqual(negotiate(SUBPROTOCOL_V1), V1);
});

Deno.test("negotiate() makes a connection without an ssocket token legacy", () => {
  assert.deepEqual(negotiate(null), LEGACY);
  assert.deepEqual(negotiate("chat, ssocket.v2, SSOCKET.V1"), { ...LEGACY, token: "chat" });
});

Deno.test("offeredProtocols() lists the wanted ssocket tokens first, then the application's, once", () => {
  const own = SUBPROTOCOLS.map((p) => p.token);
  assert.deepEqual(offeredProtocols(), own);
  assert.deepEqual(offeredProtocols("chat"), [...own, "chat"]);
  assert.deepEqual(offeredProtocols(["chat", SUBPROTOCOL_V1]), [...own, "chat"]);
  assert.deepEqual(offeredProtocols("chat", false), [SUBPROTOCOL_PACK_V1, SUBPROTOCOL_V1, "chat"]);
  // Whatever the client offers, the server picks an ssocket token.
  assert.equal(negotiate(offeredProtocols(["chat"]).join(", ")).legacy, false);
});

Deno.test("negotiate() answers a legacy client's own protocol, never a token or session carrier", () => {
  assert.deepEqual(negotiate("chat, ssocket.token.abc"), { ...LEGACY, token: "chat" });
  assert.deepEqual(negotiate("ssocket.token.abc, chat"), { ...LEGACY, token: "chat" });
  assert.deepEqual(negotiate("ssocket.session.x.1, chat"), { ...LEGACY, token: "chat" });
  assert.deepEqual(negotiate("ssocket.token.abc"), { ...LEGACY, token: "ssocket.token.abc" });
  assert.deepEqual(negotiate(`chat, ${SUBPROTOCOL_V1}, ssocket.token.abc`), V1);
});

Deno.test("negotiate() picks the token with the most features the client offered", () => {
  const packed = { ...V1, token: SUBPROTOCOL_PACK_V1, pack: true };
  assert.deepEqual(negotiate(`${SUBPROTOCOL_V1}, ${SUBPROTOCOL_PACK_V1}`), packed);
  assert.deepEqual(negotiate(`chat, ${SUBPROTOCOL_PACK_V1}`), packed);
  const both = { ...V1, token: SUBPROTOCOL_PACK_RECOVERY_V1, pack: true, recovery: true };
  assert.deepEqual(negotiate(offeredProtocols().join(", ")), both);
  assert.equal(offeredProtocols()[0], SUBPROTOCOL_PACK_RECOVERY_V1);
  // An older client that knows only ssocket.v1 gets one frame per message and no session.
  assert.deepEqual(negotiate(SUBPROTOCOL_V1), V1);
  const recovering = { ...V1, token: SUBPROTOCOL_RECOVERY_V1, recovery: true };
  assert.deepEqual(negotiate(`${SUBPROTOCOL_RECOVERY_V1}, ${SUBPROTOCOL_V1}`), recovering);
});

Deno.test("negotiate() passes recovery tokens over on a server without recovery", () => {
  const offer = offeredProtocols().join(", ");
  assert.deepEqual(negotiate(offer, false), { ...V1, token: SUBPROTOCOL_PACK_V1, pack: true });
  // Offered alone, a token this server passes over is never answered (the handshake fails).
  assert.deepEqual(negotiate(SUBPROTOCOL_RECOVERY_V1, false), LEGACY);
});

Deno.test("featuresOf() reads an answered token's features", () => {
  assert.deepEqual(featuresOf(SUBPROTOCOL_PACK_RECOVERY_V1), {
    token: SUBPROTOCOL_PACK_RECOVERY_V1,
    pack: true,
    recovery: true,
  });
  assert.equal(featuresOf("chat"), undefined);
});
