/**
 * Issue 10's attacks, small, against a real `ssocket` process on the
 * default transport (ws), with its RSS read from /proc: the same code as
 * `deno task attack` (bench/attack/attacks.ts), with bounds asserted.
 */
import assert from "node:assert/strict";
import { startServer } from "../../bench/lib/servers.ts";
import { bigMessage, flood, stalledBroadcast } from "../../bench/attack/attacks.ts";

/** Most RSS growth, MiB, any of these attacks may cause (the attacks reached 1-2 GiB). */
const RSS_GROWTH_MIB = 128;
/**
 * Most RSS growth, MiB, a flooder that never reads may cause with the rate
 * limit off: paused at half of `maxBufferedBytes` (8 MiB), what the server
 * holds for it is a few MiB. Before its queued replies were counted with
 * their bookkeeping it grew the server by 100 MiB in 3 s and 240 in 10.
 */
const UNLIMITED_FLOOD_GROWTH_MIB = 64;

async function server(flags: string[] = []) {
  const running = await startServer("ssocket", {
    flags: [
      // The bounds are the ws transport's: Deno's cannot hold them (README, "Two transports").
      "--transport",
      "ws",
      "--limits.messagesPerSecond",
      "1000",
      "--limits.maxConnectionsPerIp",
      "100",
      ...flags,
    ],
  });
  return { target: { url: running.url, pid: running.pid }, stop: () => running.stop() };
}

Deno.test("a 256 MiB message in 1 MiB fragments is refused with 1009 while it arrives", async () => {
  const { target, stop } = await server();
  try {
    const r = await bigMessage(target, 256, 1024, 10_000);
    assert.equal(r.closeCode, 1009, r.outcome);
    assert.ok(r.rssPeak - r.rssBefore < RSS_GROWTH_MIB, `${r.rssBefore} → ${r.rssPeak} MiB`);
  } finally {
    await stop();
  }
});

Deno.test("a stalled reader under a BROADCAST storm is closed with 1013 and its queue freed", async () => {
  const { target, stop } = await server(["--limits.maxBufferedBytes", "2097152"]);
  try {
    const r = await stalledBroadcast(target, 400, 50_000);
    assert.equal(r.closeCode, 1013, r.outcome);
    // 20 MB were broadcast; the stalled client held at most the cap plus kernel buffers.
    assert.ok(r.counts.readMiB < 12, r.outcome);
    assert.ok(r.rssPeak - r.rssBefore < RSS_GROWTH_MIB, `${r.rssBefore} → ${r.rssPeak} MiB`);
  } finally {
    await stop();
  }
});

Deno.test("a flooder that never reads is closed, and a bystander's echo p99 stays under 5x", async () => {
  const { target, stop } = await server();
  try {
    const r = await flood(target, 3000);
    assert.ok((r.counts["close 1008"] ?? 0) + (r.counts["reset"] ?? 0) >= 1, r.outcome);
    assert.ok(r.bystanderRatio! < 5, `p99 ${r.unloadedP99} → ${r.bystanderP99} ms`);
    assert.ok(r.rssPeak - r.rssBefore < RSS_GROWTH_MIB, `${r.rssBefore} → ${r.rssPeak} MiB`);
  } finally {
    await stop();
  }
});

Deno.test("a flooder that never reads is paused by the output cap alone (no rate limit), RSS bounded", async () => {
  const { target, stop } = await server(["--limits.messagesPerSecond", "0"]);
  try {
    const r = await flood(target, 5000);
    const growth = r.rssPeak - r.rssBefore;
    assert.ok(
      growth < UNLIMITED_FLOOD_GROWTH_MIB,
      `${r.rssBefore} → ${r.rssPeak} MiB; ${r.outcome}`,
    );
    assert.ok(r.bystanderRatio! < 5, `p99 ${r.unloadedP99} → ${r.bystanderP99} ms`);
  } finally {
    await stop();
  }
});
