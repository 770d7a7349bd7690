/**
 * Graceful drain through a real `ssocket` process: SIGTERM while calls are
 * running and clients keep sending.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { decodeFrame, decodeJsonPayload, encodeJsonFrame } from "../../src/protocol/frame.ts";
import { WAIT_MS, withTimeout } from "../_harness.ts";
import { serveCommand, tempDir } from "./_command.ts";

const LOCAL = ["--INSECURE.port", "0", "--INSECURE.hostname", "127.0.0.1"];
const STEPS = 8;
const STEP_MS = 80;
const SLOW = `export async function* slow(m) {
  for (let i = 0; i < ${STEPS}; i++) {
    await new Promise((r) => setTimeout(r, ${STEP_MS}));
    yield { payload: { i } };
  }
}
`;
const ECHO = "export async function* echo(m) { yield { payload: m.payload }; }\n";
const CONNECTIONS = 8;
const CALLS_PER_CONNECTION = 4;

interface Got {
  type: number;
  end: boolean;
  json: unknown;
}

/** A socket that sorts the frames it gets by request id. */
async function open(url: string) {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  const calls = new Map<number, Got[]>();
  const changed: (() => void)[] = [];
  ws.onmessage = (e) => {
    const frame = decodeFrame(new Uint8Array(e.data as ArrayBuffer));
    const json = frame.payload.length ? decodeJsonPayload(frame) : null;
    const id = frame.requestId ?? 0;
    calls.set(id, [...(calls.get(id) ?? []), { type: frame.type, end: frame.end, json }]);
    changed.splice(0).forEach((f) => f());
  };
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const closed = new Promise<CloseEvent>((resolve) => ws.onclose = resolve);
  const until = async (done: () => boolean, what: string) => {
    while (!done()) {
      await withTimeout(new Promise<void>((r) => changed.push(r)), WAIT_MS, () => what);
    }
  };
  return { ws, calls, closed, until };
}

Deno.test("SIGTERM drains: running calls lose no reply, new messages get SHUTTING_DOWN, then 1001 and exit 0", async () => {
  await using tmp = await tempDir();
  await Deno.mkdir(join(tmp.path, "plugs"));
  await Deno.writeTextFile(join(tmp.path, "plugs", "slow.ts"), SLOW);
  await Deno.writeTextFile(join(tmp.path, "plugs", "echo.ts"), ECHO);
  const { process, url } = await serveCommand([...LOCAL, "--shutdownGrace", "10000"], {
    cwd: tmp.path,
  });
  await using _ = process;
  const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => open(url)));
  // Calls 1..N run the slow plug; every socket also keeps echoing until it closes.
  for (const s of sockets) {
    for (let id = 1; id <= CALLS_PER_CONNECTION; id++) {
      s.ws.send(encodeJsonFrame(0, "slow", null, id));
    }
  }
  let echoes = 0;
  const load = setInterval(() => {
    for (const s of sockets) {
      if (s.ws.readyState === WebSocket.OPEN) {
        s.ws.send(encodeJsonFrame(0, "echo", { n: echoes++ }));
      }
    }
  }, 2);
  try {
    // Every call has started (and is mid-way) before the signal.
    for (const s of sockets) {
      await s.until(
        () =>
          [...Array(CALLS_PER_CONNECTION)].every((_, i) => (s.calls.get(i + 1)?.length ?? 0) >= 1),
        "calls did not start",
      );
    }
    process.kill("SIGTERM");
    await process.waitForLine(/Received SIGTERM; draining/);
    const health = await fetch(url.replace("ws:", "http:") + "healthz");
    assert.deepEqual([health.status, await health.json()], [503, { status: "draining" }]);
    const refused = new WebSocket(url);
    const closedRefused = new Promise((resolve) => refused.onclose = resolve);
    const opened = await new Promise((resolve) => {
      refused.onopen = () => resolve(true);
      refused.onerror = () => resolve(false);
    });
    assert.equal(opened, false, "a new WebSocket is refused while draining");
    await closedRefused;
    const late = sockets[0];
    late.ws.send(encodeJsonFrame(0, "slow", null, 99));
    await late.until(() => late.calls.has(99), "no answer to a message sent while draining");
    const [answer] = late.calls.get(99)!;
    assert.deepEqual([answer.type, (answer.json as { code: string }).code, answer.end], [
      4,
      "SHUTTING_DOWN",
      true,
    ]);
    // The drain is shown under load; the slow calls are still running. The
    // load stops now: a Deno client that sends while the server's close frame
    // is on its way can see the TCP reset first and report code 0, which would
    // test that race rather than the close the server sends.
    clearInterval(load);

    const codes = await Promise.all(sockets.map(async (s) => (await s.closed).code));
    assert.deepEqual(codes, Array(CONNECTIONS).fill(1001));
    for (const s of sockets) {
      for (let id = 1; id <= CALLS_PER_CONNECTION; id++) {
        const frames = s.calls.get(id)!;
        assert.deepEqual(
          frames.map((f) => f.json),
          [...Array.from({ length: STEPS }, (_, i) => ({ i })), null],
          `call ${id}: every reply, then END`,
        );
        assert.equal(frames.at(-1)!.end, true);
      }
    }
    const result = await process.finished();
    assert.equal(result.code, 0, result.stderr);
    assert.ok(echoes > 0);
  } finally {
    clearInterval(load);
    for (const s of sockets) s.ws.close();
    await Promise.all(sockets.map((s) => s.closed));
  }
});
