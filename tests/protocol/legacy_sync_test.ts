import assert from "node:assert/strict";
import {
  encodeLegacySync,
  LEGACY_MERGE_GAP,
  legacyStateFrame,
  legacySyncInstructions,
} from "../../src/protocol/legacy_sync.ts";
import { EventType } from "../../src/protocol/event_type.ts";
import { LegacyMessage } from "../_legacy_client.ts";
import { bytes, int, prng } from "../_random.ts";
import { catalogueSteps } from "../client/_big_objects.ts";

const utf8 = new TextEncoder();

/** Applies instructions to `base` by the README's rules, through the legacy test client. */
function applyOriginalWay(base: Uint8Array, target: Uint8Array): Uint8Array {
  const state = new LegacyMessage(base.slice());
  const frame = LegacyMessage.encode("s", legacySyncInstructions(base, target), EventType.SYNC);
  state.syncIncoming(frame);
  return state.raw;
}

Deno.test("legacySyncInstructions() writes changed bytes equal to 0, which the original dropped", () => {
  const base = new Uint8Array([5, 5, 5, 5, 5, 5, 5, 5]);
  const target = new Uint8Array([5, 0, 7, 5, 5, 5, 5, 0]);
  assert.deepEqual(legacySyncInstructions(base, target), [[0], [1, 0, 7], [7, 0]]);
  assert.deepEqual(applyOriginalWay(base, target), target);
});

Deno.test("legacySyncInstructions() starts with the length change, cutting or growing", () => {
  const base = new Uint8Array([1, 2, 3, 4, 5, 6]);
  assert.deepEqual(legacySyncInstructions(base, new Uint8Array([1, 2, 3])), [[-3]]);
  assert.deepEqual(legacySyncInstructions(base, new Uint8Array([1, 2, 3, 4, 5, 6, 0])), [
    [1],
    [6, 0],
  ]);
  assert.deepEqual(legacySyncInstructions(base, base.slice()), [[0]]);
  assert.deepEqual(legacySyncInstructions(new Uint8Array(), new Uint8Array([0, 1])), [[2], [
    0,
    0,
    1,
  ]]);
});

Deno.test("legacySyncInstructions() merges runs separated by at most LEGACY_MERGE_GAP equal bytes", () => {
  const base = new Uint8Array(20);
  const near = base.slice();
  near[2] = 1;
  near[3 + LEGACY_MERGE_GAP] = 1;
  assert.equal(legacySyncInstructions(base, near).length, 2, "one run");
  const far = base.slice();
  far[2] = 1;
  far[4 + LEGACY_MERGE_GAP] = 1;
  assert.equal(legacySyncInstructions(base, far).length, 3, "two runs");
});

Deno.test("legacySyncInstructions() with only the base length rewrites every byte", () => {
  const target = new Uint8Array([9, 0, 9]);
  assert.deepEqual(legacySyncInstructions(5, target), [[-2], [0, 9, 0, 9]]);
  const unknownBase = new Uint8Array([9, 1, 9, 4, 4]);
  const state = new LegacyMessage(unknownBase);
  state.syncIncoming(LegacyMessage.encode("s", legacySyncInstructions(5, target), EventType.SYNC));
  assert.deepEqual(state.raw, target);
});

Deno.test("encodeLegacySync() is the instructions as UTF-8 JSON", () => {
  const json = new TextDecoder().decode(encodeLegacySync(new Uint8Array([7]), new Uint8Array([8])));
  assert.equal(json, "[[0],[0,8]]");
});

Deno.test("legacySyncInstructions() rebuilds any target from any base (property, 2000 cases)", () => {
  for (let seed = 1; seed <= 2000; seed++) {
    const random = prng(seed);
    const base = sparse(random, int(random, 0, 300));
    // Targets near the base (edits) as well as unrelated ones.
    const target = random() < 0.7 ? edit(random, base) : sparse(random, int(random, 0, 300));
    assert.deepEqual(applyOriginalWay(base, target), target, `seed ${seed}`);
  }
});

Deno.test("legacy SYNC rebuilds 50 states of a large object by the original README's rules", () => {
  const steps = catalogueSteps(15, 50);
  const request = LegacyMessage.encode("catalogue", { count: 50 });
  // The client syncs a copy of what it sent; the server diffs whole frames.
  const client = new LegacyMessage(request.raw.slice());
  let base = request.raw;
  let sent = 0;
  for (const step of steps) {
    const target = legacyStateFrame("catalogue", utf8.encode(JSON.stringify(step)));
    const payload = encodeLegacySync(base, target);
    const raw = new Uint8Array(6 + payload.length);
    raw.set([0, 0, 0, 0, EventType.SYNC, 0]);
    raw.set(payload, 6);
    const frame = new LegacyMessage(raw);
    client.syncIncoming(frame);
    assert.deepEqual(client.payload, step, `step ${step.step}`);
    assert.equal(client.event, "catalogue");
    assert.equal(client.eventType, EventType.SYNC);
    sent += payload.length;
    base = target;
  }
  // Positional instructions are large (an insertion shifts everything after
  // it), but must stay within a few times the full JSON they replace.
  const full = steps.reduce((sum, step) => sum + JSON.stringify(step).length, 0);
  assert.ok(sent < full * 5, `${sent} bytes of instructions for ${full} bytes of states`);
});

/** Random bytes with many zeros and repeats, the values the original mishandled. */
function sparse(random: () => number, length: number): Uint8Array {
  const out = bytes(random, length);
  for (let i = 0; i < length; i++) if (random() < 0.3) out[i] = random() < 0.5 ? 0 : 7;
  return out;
}

/** `base` with a few bytes changed, inserted or removed, and maybe resized. */
function edit(random: () => number, base: Uint8Array): Uint8Array {
  let out = Array.from(base);
  for (let n = int(random, 0, 5); n > 0; n--) {
    const at = int(random, 0, out.length);
    const kind = random();
    if (kind < 0.4 && at < out.length) out[at] = random() < 0.5 ? 0 : int(random, 0, 255);
    else if (kind < 0.7) out.splice(at, 0, ...sparse(random, int(random, 1, 8)));
    else out.splice(at, int(random, 1, 8));
  }
  if (random() < 0.2) out = out.slice(0, int(random, 0, out.length));
  return new Uint8Array(out);
}
