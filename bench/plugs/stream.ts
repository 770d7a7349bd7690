/** Event "stream": yields `{ i }` for i = 0 … count-1 (20 in the bench). */
export async function* stream(m: { payload: { count: number } }) {
  const count = m.payload.count;
  for (let i = 0; i < count; i++) yield { payload: { i } };
}
