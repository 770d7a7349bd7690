// A serverless-sockets INIT file using the old Socket hooks; only the import line changed.
// deno-lint-ignore-file require-await -- kept as old INIT files were written
import type { Socket } from "ssocket";

/** What the hooks saw, for the test to check. */
export const seen = { connects: 0, disconnects: 0 };

export async function INIT(socket: Socket) {
  // Will be called when the server starts up
  socket.onSocketConnect(() => {
    seen.connects++;
  });
  socket.onSocketDisconnect(() => {
    seen.disconnects++;
  });
}
