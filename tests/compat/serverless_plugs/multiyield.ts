// A serverless-sockets plug, written anew from its README ("Simple return message(s)", typed);
// deno-lint-ignore-file verbatim-module-syntax -- kept as old plugs were written
// only the import line changed.
import { Log, ModuleGenerator, SocketMessage } from "ssocket";

export async function* test(
  message: SocketMessage<{ count: number }>,
  _from: WebSocket,
): ModuleGenerator<{ name: string }> {
  Log.info("multiyield called");
  for (let i = 0; i < message.payload.count; i++) { // message.payload.count is what the client sends us
    yield {
      event: "spam-mode", // optional; defaults to the event name of this module
      payload: {
        name: `iteration ${i}`,
      },
    };
  }
}
