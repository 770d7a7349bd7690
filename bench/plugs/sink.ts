/** Event "sink": counts the inputs streamed into the call, answers the count at their end. */
export async function* sink(m: { input: AsyncIterable<unknown> }) {
  let count = 0;
  for await (const _ of m.input) count++;
  yield { payload: count };
}
