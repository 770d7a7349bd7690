/**
 * The bare Deno reference: `Deno.serve` + `Deno.upgradeWebSocket`, nothing
 * else. Echoes every binary message back to its sender, or with
 * `--broadcast` sends it to every other open socket (the same loop ssocket's
 * hub runs, over the same bytes).
 *
 * Usage: `deno run -A bench/servers/deno_echo.ts --port 9000 [--broadcast]`
 * @module
 */

const port = Number(Deno.args[Deno.args.indexOf("--port") + 1]);
const broadcast = Deno.args.includes("--broadcast");
const sockets = new Set<WebSocket>();

Deno.serve({ port, hostname: "127.0.0.1", onListen: () => {} }, (request) => {
  const { socket, response } = Deno.upgradeWebSocket(request);
  socket.binaryType = "arraybuffer";
  if (broadcast) {
    socket.onopen = () => sockets.add(socket);
    socket.onclose = () => sockets.delete(socket);
    socket.onmessage = (event) => {
      for (const other of sockets) {
        if (other !== socket && other.readyState === WebSocket.OPEN) other.send(event.data);
      }
    };
  } else {
    socket.onmessage = (event) => socket.send(event.data);
  }
  return response;
});
console.log(`Listening on ws://127.0.0.1:${port}/`);
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
