/**
 * Issue 10's attacks, small, against a real `ssocket` process, with its RSS
 * read from /proc: the same code as `deno task attack`
 * (bench/attack/attacks.ts), with bounds asserted. The transport is the
 * default (ws) or `SSOCKET_TRANSPORT`'s; `deno task test:alone` runs both.
 * Deno's cannot hold the bounds of a huge fragmented message or of a
 * flood's bystander (README, "Two transports"): those two run on ws only.
 */
import assert from "node:assert/strict";
import { startServer } from "../../bench/lib/servers.ts";
import { bigMessage, flood, stalledBroadcast } from "../../bench/attack/attacks.ts";
import { TEST_TRANSPORT } from "../_harness.ts";

const TRANSPORT = TEST_TRANSPORT ?? "ws";
/** Set on the attacks Deno's transport cannot bound. */
const WS_ONLY = TRANSPORT !== "ws";

/** Most RSS growth, MiB, any of these attacks may cause (the attacks reached 1-2 GiB). */
const RSS_GROWTH_MIB = 128;
/**
 * Most RSS growth, MiB, a flooder that never reads may cause with the rate
 * limit off. What the server holds for it is capped in memory: replies at
 * half of `maxBufferedBytes` (8 MiB), and on Deno's transport, which cannot
 * stop reading, the messages held past that up to the cap. Before queued
 * replies (and held messages) were counted with their bookkeeping, it grew
 * the server by 100 MiB in 3 s and 240 in 10 (ws), and 66 → 302 MiB in 5 s
 * (deno). Deno's gets the general bound: it reads the flood as fast as it
 * comes and each 1013 ends the connection, so the attacker reconnects and
 * V8's young generation grows to fit that rate (32-58 MiB measured; a
 * client that reads every reply at the same rate grew the server by 65 MiB).
 */
const UNLIMITED_FLOOD_GROWTH_MIB = TRANSPORT === "ws" ? 64 : RSS_GROWTH_MIB;

async function server(flags: string[] = []) {
  const running = await startServer("ssocket", {
    flags: [
      "--transport",
      TRANSPORT,
      "--limits.messagesPerSecond",
      "1000",
      "--limits.maxConnectionsPerIp",
      "100",
      ...flags,
    ],
  });
  return { target: { url: running.url, pid: running.pid }, stop: () => running.stop() };
}

Deno.test({
  name: `a 256 MiB message in 1 MiB fragments is refused with 1009 while it arrives (${TRANSPORT})`,
  ignore: WS_ONLY,
}, async () => {
  const { target, stop } = await server();
  try {
    const r = await bigMessage(target, 256, 1024, 10_000);
    assert.equal(r.closeCode, 1009, r.outcome);
    assert.ok(r.rssPeak - r.rssBefore < RSS_GROWTH_MIB, `${r.rssBefore} → ${r.rssPeak} MiB`);
  } finally {
    await stop();
  }
});

Deno.test(`a stalled reader under a BROADCAST storm is closed with 1013 and its queue freed (${TRANSPORT})`, async () => {
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

Deno.test({
  name:
    `a flooder that never reads is closed, and a bystander's echo p99 stays under 5x (${TRANSPORT})`,
  ignore: WS_ONLY,
}, async () => {
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

Deno.test(`a flooder that never reads is stopped by the output cap alone (no rate limit), RSS bounded (${TRANSPORT})`, async () => {
  const { target, stop } = await server(["--limits.messagesPerSecond", "0"]);
  try {
    const r = await flood(target, 5000);
    const growth = r.rssPeak - r.rssBefore;
    assert.ok(
      growth < UNLIMITED_FLOOD_GROWTH_MIB,
      `${r.rssBefore} → ${r.rssPeak} MiB; ${r.outcome}`,
    );
    // Deno's transport reads every new connection's flood at once (README, "Two transports").
    if (TRANSPORT === "ws") {
      assert.ok(r.bystanderRatio! < 5, `p99 ${r.unloadedP99} → ${r.bystanderP99} ms`);
    }
  } finally {
    await stop();
  }
});
