import assert from "node:assert/strict";
import { startServer } from "../_harness.ts";

async function get(url: string, path: string, origin?: string) {
  const response = await fetch(new URL(path, url.replace("ws:", "http:")), {
    headers: origin ? { origin } : {},
  });
  await response.body?.cancel();
  assert.equal(response.status, 200);
  return response.headers;
}

Deno.test("/ssocket.js and its map allow every origin when allowedOrigins is empty", async () => {
  await using srv = await startServer();
  for (const path of ["/ssocket.js", "/ssocket.js.map"]) {
    assert.equal(
      (await get(srv.url, path, "https://elsewhere.example")).get("access-control-allow-origin"),
      "*",
    );
    assert.equal((await get(srv.url, path)).get("access-control-allow-origin"), "*");
  }
});

Deno.test("/ssocket.js allows only the listed origins when allowedOrigins is set", async () => {
  await using srv = await startServer({
    config: { allowedOrigins: "https://a.example, https://b.example" },
  });
  for (const path of ["/ssocket.js", "/ssocket.js.map"]) {
    const listed = await get(srv.url, path, "https://b.example");
    assert.equal(listed.get("access-control-allow-origin"), "https://b.example");
    assert.equal(listed.get("vary"), "Origin");
    const other = await get(srv.url, path, "https://c.example");
    assert.equal(other.get("access-control-allow-origin"), null);
    assert.equal((await get(srv.url, path)).get("access-control-allow-origin"), null);
  }
});

Deno.test("other HTTP answers get no CORS header", async () => {
  await using srv = await startServer();
  const headers = await get(srv.url, "/", "https://elsewhere.example");
  assert.equal(headers.get("access-control-allow-origin"), null);
});
