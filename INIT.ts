/**
 * Runs once at start, before connections are accepted, with the server.
 * Use it to register hooks or set up shared resources.
 */
import type { Server } from "ssocket";

export function INIT(server: Server): void {
  server.onConnect((client) => server.log.debug(`hello ${client.id}`));
  server.onDisconnect((client) => server.log.debug(`bye ${client.id}`));
}
