/**
 * The rooms bench scenario's machinery (Redis and node processes, members
 * spread over nodes, joins awaited, one-clock timing, loss and duplicate
 * counts), run small with stand-ins for the room plugs: "echo" answers the
 * join like room/join does, and the plain everyone-BROADCAST plug reaches the
 * same connections as a room every member joined. The room plugs themselves
 * (bench/plugs/room/) need the rooms API in the server.
 */
import assert from "node:assert/strict";
import { rooms } from "../../bench/scenarios/rooms.ts";

Deno.test("bench rooms scenario times a broadcast to members on one node and on three clustered nodes", async () => {
  const members = 30;
  const broadcasts = 5;
  const results = await rooms(
    { members, nodes: 3, broadcasts, rounds: 1, joinEvent: "echo", sayEvent: "broadcast" },
    () => {},
  );
  assert.deepEqual([...results.keys()], ["single", "cluster"]);
  for (const [setup, [result]] of results) {
    const counts = [result.count, result.lost, result.errors, result.duplicates];
    assert.deepEqual(counts, [broadcasts, 0, 0, 0], setup);
    assert.ok(result.p50 > 0 && result.p50 <= result.p99, `${setup}: ${result.p50} ${result.p99}`);
    assert.ok(result.allP50! >= result.p50, `${setup}: all ${result.allP50} vs ${result.p50}`);
    assert.ok(result.serverCpu >= 0, setup);
  }
});
