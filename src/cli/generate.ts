/**
 * `ssocket --generate NAME`: writes a working plug for event NAME into the
 * plugs folder, never overwriting a file and never writing outside it.
 *
 * @example
 * ```ts ignore
 * import { generatePlug } from "./generate.ts";
 * const file = await generatePlug("chat/send", "./plugs"); // ".../plugs/chat/send.ts"
 * ```
 * @module
 */

import { dirname, join, relative, resolve } from "node:path";
import { isSafeEventName } from "../plugs/event_name.ts";

/** Words that cannot name a function. */
const RESERVED = new Set(
  ("break case catch class const continue debugger default delete do else enum export extends " +
    "false finally for function if import in instanceof new null return super switch this throw " +
    "true try typeof var void while with yield let static implements interface package private " +
    "protected public await async").split(" "),
);

/**
 * A valid function name for the plug of `event`: the last path segment in
 * camel case (`"chat/send-all"` → `"sendAll"`), or `"handle"`.
 *
 * @example
 * ```ts
 * import { handlerName } from "./generate.ts";
 * handlerName("chat/send-all"); // "sendAll"
 * handlerName("2fa"); // "handle"
 * ```
 */
export function handlerName(event: string): string {
  const words = event.split("/").at(-1)!.split(/[^A-Za-z0-9_$]+/).filter(Boolean);
  const name = words.map((w, i) => i === 0 ? w : w[0].toUpperCase() + w.slice(1)).join("");
  return /^[A-Za-z_$][\w$]*$/.test(name) && !RESERVED.has(name) ? name : "handle";
}

/**
 * The source of a new plug answering `event`: it echoes the payload back to
 * the caller and shows, commented out, a BROADCAST and a SYNC yield.
 *
 * @example
 * ```ts
 * import { plugTemplate } from "./generate.ts";
 * plugTemplate("chat/send").includes('from "ssocket"'); // true
 * ```
 */
export function plugTemplate(event: string): string {
  return `/**
 * Plug for event "${event}".
 *
 * Each message a client sends with this event runs this function; each
 * \`yield\` sends one frame.
 */
import { type Client, EventType, type SocketMessage } from "ssocket";

export async function* ${handlerName(event)}(message: SocketMessage, client: Client) {
  // MESSAGE (the default type): a reply to the caller only.
  yield { type: EventType.MESSAGE, payload: { echo: message.payload, from: client.id } };

  // BROADCAST: to every open connection (without the sender when excludeSenderOnBroadcast).
  // yield { type: EventType.BROADCAST, payload: { text: "Hello, everyone" } };

  // SYNC: the caller receives a delta of this state against what it already holds.
  // yield { type: EventType.SYNC, payload: { items: ["a", "b"], updatedAt: Date.now() } };
}
`;
}

/**
 * Writes the plug for `event` into `plugsFolder`, creating folders for a
 * nested name.
 *
 * @param event the event name, e.g. `"chat/send"` (as checked by `plugName`)
 * @param plugsFolder the configured plugs folder
 * @returns the path written, relative to the working folder
 * @throws {RangeError} when the name would leave the plugs folder
 * @throws {Deno.errors.AlreadyExists} when the file exists; it is left untouched
 */
export async function generatePlug(event: string, plugsFolder: string): Promise<string> {
  const folder = resolve(plugsFolder);
  const file = join(folder, `${event}.ts`);
  const inside = relative(folder, file);
  if (!isSafeEventName(event) || inside.startsWith("..") || resolve(folder, inside) !== file) {
    throw new RangeError(`Plug name "${event}" must stay inside the plugs folder ${folder}`);
  }
  const shown = relative(Deno.cwd(), file) || file;
  await Deno.mkdir(dirname(file), { recursive: true });
  try {
    await Deno.writeTextFile(file, plugTemplate(event), { createNew: true });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) {
      throw new Deno.errors.AlreadyExists(`${shown} already exists; not overwriting it`);
    }
    throw err;
  }
  return shown;
}
