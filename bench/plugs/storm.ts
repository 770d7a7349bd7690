/**
 * Event "storm": `{ count, size }` BROADCASTs of `size` bytes each to every
 * other connection, then `{ done: true }` to the caller (the attack scenario
 * of a stalled reader under a broadcast storm).
 */
export async function* storm(m: { payload: { count: number; size: number } }) {
  const text = "x".repeat(m.payload.size);
  for (let i = 0; i < m.payload.count; i++) yield { type: 1, payload: text };
  yield { payload: { done: true } };
}
