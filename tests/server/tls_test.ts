import assert from "node:assert/strict";
import { join } from "node:path";
import { startServer } from "../_harness.ts";

const hasOpenssl = await new Deno.Command("openssl", {
  args: ["version"],
  stdout: "null",
  stderr: "null",
})
  .output().then((o) => o.success, () => false);
if (!hasOpenssl) {
  console.warn("SKIPPING TLS test: openssl is not installed, so no certificate can be made");
}

/** Runs openssl, failing the test with its stderr if it fails. */
async function openssl(...args: string[]): Promise<void> {
  const result = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" })
    .output();
  assert.ok(result.success, new TextDecoder().decode(result.stderr));
}

/**
 * Makes a throwaway CA and a certificate for 127.0.0.1 signed by it in `dir`
 * (rustls refuses a self-signed CA certificate used as the server's own).
 */
async function testCertificate(dir: string) {
  const [caFile, caKey, certFile, keyFile, csr, ext] = [
    "ca.pem",
    "ca.key",
    "cert.pem",
    "key.pem",
    "leaf.csr",
    "leaf.ext",
  ].map((name) => join(dir, name));
  await Deno.writeTextFile(ext, "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
  await openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-keyout",
    caKey,
    "-out",
    caFile,
    "-subj",
    "/CN=ssocket test CA",
  );
  await openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    csr,
    "-subj",
    "/CN=127.0.0.1",
  );
  await openssl(
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    caFile,
    "-CAkey",
    caKey,
    "-CAcreateserial",
    "-days",
    "1",
    "-out",
    certFile,
    "-extfile",
    ext,
  );
  return { caFile, certFile, keyFile };
}

Deno.test({
  name: "secure: true serves HTTPS and WSS with the TLS certificate and key",
  ignore: !hasOpenssl,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const { caFile, certFile, keyFile } = await testCertificate(dir);
      await using srv = await startServer({
        config: { secure: true, TLS: { port: 0, hostname: "127.0.0.1", certFile, keyFile } },
        plugs: { "echo.ts": "export async function* echo(m) { yield { payload: m.payload }; }" },
      });
      assert.match(srv.url, /^wss:\/\/127\.0\.0\.1:\d+\/$/);
      const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(caFile)] });
      const response = await fetch(srv.url.replace("wss:", "https:"), { client });
      assert.equal((await response.json()).name, "ssocket");
      client.close();

      // WebSocket takes no CA option, so a child Deno trusting the certificate makes the call.
      const script = join(dir, "client.ts");
      await Deno.writeTextFile(
        script,
        `import { decodeFrame, decodeJsonPayload, encodeJsonFrame } from ${
          JSON.stringify(new URL("../../src/protocol/frame.ts", import.meta.url).href)
        };
        const ws = new WebSocket(${JSON.stringify(srv.url)});
        ws.binaryType = "arraybuffer";
        ws.onopen = () => ws.send(encodeJsonFrame(0, "echo", { over: "tls" }));
        ws.onmessage = (e) => {
          console.log(JSON.stringify(decodeJsonPayload(decodeFrame(new Uint8Array(e.data)))));
          ws.close();
        };`,
      );
      const child = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--cert", caFile, script],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(child.stdout).trim();
      assert.equal(out, '{"over":"tls"}', new TextDecoder().decode(child.stderr));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
