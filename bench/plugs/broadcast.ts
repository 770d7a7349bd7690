/** Event "broadcast": sends the payload to every other connection (type 1 is BROADCAST). */
export async function* broadcast(m: { payload: unknown }) {
  yield { type: 1, payload: m.payload };
}
