/** Event "echo": the bench echo plug, answers with the payload it was sent. */
export async function* echo(m: { payload: unknown }) {
  yield { payload: m.payload };
}
