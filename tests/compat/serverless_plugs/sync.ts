// A serverless-sockets plug, written anew from its README ("Synchronizing big objects");
// deno-lint-ignore-file verbatim-module-syntax -- kept as old plugs were written
// only the import lines changed (the second one supplies "some big message").
import { EventType, ModuleGenerator, SocketMessage } from "ssocket";
import { catalogueSteps } from "../../client/_big_objects.ts";

export async function* sync(
  message: SocketMessage<{ count: number }>,
  _from: WebSocket,
): ModuleGenerator {
  for (const step of catalogueSteps(7, message.payload.count)) {
    yield {
      type: EventType.SYNC,
      event: "sync-1",
      payload: step, // some big message here
    };
  }
}
