/**
 * Event "stream": a multi-yield reply. Send `{ count: 5 }` and get five
 * frames `{ i: 0 }` … `{ i: 4 }`; a correlated call then gets its end frame.
 */
import type { SocketMessage } from "ssocket";

const MAX_COUNT = 1000;

export async function* stream(message: SocketMessage<{ count?: number }>) {
  const count = Math.min(Math.max(Number(message.payload?.count ?? 3), 0), MAX_COUNT);
  for (let i = 0; i < count; i++) yield { payload: { i } };
}
