/**
 * Recovery sessions kept in Redis, for the Redis cluster adapter, so a
 * client may resume on any node and a node that dies does not take its
 * clients' sessions along. Keys, under `ssocket:<channel>:session:<id>`:
 * - the hash itself: `secret` (SHA-256 of the secret, hex), `ik` (identity
 *   key), `identity`, `owner` (node id), `acked`, `rooms`, `data` (JSON);
 * - `:log`: a Redis Stream of the frames not yet acknowledged, entry id
 *   `<frame number>-1`, trimmed with `XTRIM MINID` at each acknowledgement;
 * - `:bases`: hash of SYNC stream → state as of `acked`.
 * Every key expires: `recovery.window` seconds after the client dropped,
 * twice that while it is connected (refreshed). A claim is one Lua script:
 * the hash matches, the secret is blanked and the owner changes at once.
 * Hand-overs are announced on the pub/sub channel `<channel>:sessions`.
 *
 * @example
 * ```ts ignore
 * const sessions = new RedisSessions(redis, { prefix, nodeId, window: 120, publish });
 * sessions.append(id, { seq: 1, frame });
 * ```
 * @module
 */

import { Buffer } from "node:buffer";
import type { Redis } from "ioredis";
import type { ResetReason } from "../protocol/recovery.ts";
import type {
  MirroredFrame,
  MirroredSession,
  SessionMirror,
  Snapshot,
} from "../recovery/mirror.ts";

/** How long a node waits for another to let go of a session before reading it anyway. */
const TAKEOVER_MS = 3000;

const CLAIM = `
local secret = redis.call('HGET', KEYS[1], 'secret')
if not secret then return 'unknown' end
if secret == '' or secret ~= ARGV[1] or redis.call('HGET', KEYS[1], 'ik') ~= ARGV[2] then
  return 'refused'
end
local owner = redis.call('HGET', KEYS[1], 'owner')
redis.call('HSET', KEYS[1], 'secret', '', 'owner', ARGV[3])
return 'owner:' .. owner`;

/** Options of {@linkcode RedisSessions}. */
export interface RedisSessionsOptions {
  /** Key prefix, e.g. "ssocket:<channel>:". */
  prefix: string;
  /** This node's id (as in presence: its heartbeat key says whether it lives). */
  nodeId: string;
  /** `recovery.window` in seconds. */
  window: number;
  /** Publishes on the sessions channel. */
  publish(message: string): void;
}

interface HandOver {
  kind: "moved" | "released";
  id: string;
  from: string;
  to: string;
}

const noop = () => {};

/** One node's view of the cluster's sessions. */
export class RedisSessions implements SessionMirror {
  readonly #redis: Redis;
  readonly #options: RedisSessionsOptions;
  readonly #windowMs: number;
  #handler: (id: string) => Promise<void> = () => Promise.resolve();
  readonly #waiting = new Map<string, () => void>();

  constructor(redis: Redis, options: RedisSessionsOptions) {
    this.#redis = redis;
    this.#options = options;
    this.#windowMs = Math.max(1, Math.round(options.window * 1000));
  }

  open(id: string, secretHash: Uint8Array, identityKey: string, identity?: string): void {
    const key = this.#key(id);
    this.#redis.multi()
      .hset(key, {
        secret: Buffer.from(secretHash).toString("hex"),
        ik: identityKey,
        identity: identity ?? "",
        owner: this.#options.nodeId,
      })
      .del(`${key}:log`)
      .pexpire(key, this.#windowMs * 2)
      .exec().catch(noop);
  }

  append(id: string, { seq, frame, sync }: MirroredFrame): void {
    const fields: (string | Buffer)[] = ["f", Buffer.from(frame)];
    if (sync) {
      fields.push("s", sync.stream, "e", sync.event, "r", String(sync.requestId ?? ""));
      fields.push("st", Buffer.from(sync.state));
    }
    this.#redis.xadd(`${this.#key(id)}:log`, `${seq}-1`, ...fields).catch(noop);
  }

  ack(id: string, seq: number, bases: ReadonlyMap<string, Uint8Array>, snapshot: Snapshot): void {
    const key = this.#key(id);
    const tx = this.#redis.multi()
      .xtrim(`${key}:log`, "MINID", `${seq + 1}-0`)
      .hset(key, { acked: seq, rooms: JSON.stringify(snapshot.rooms), data: snapshot.data });
    for (const [stream, state] of bases) tx.hset(`${key}:bases`, stream, Buffer.from(state));
    this.#expire(tx, id, this.#windowMs * 2).exec().catch(noop);
  }

  snapshot(id: string, snapshot: Snapshot): void {
    this.#redis.hset(this.#key(id), {
      rooms: JSON.stringify(snapshot.rooms),
      data: snapshot.data,
    }).catch(noop);
  }

  detached(id: string, snapshot: Snapshot): void {
    const tx = this.#redis.multi().hset(this.#key(id), {
      rooms: JSON.stringify(snapshot.rooms),
      data: snapshot.data,
    });
    this.#expire(tx, id, this.#windowMs).exec().catch(noop);
  }

  refresh(ids: string[]): void {
    if (ids.length === 0) return;
    const tx = this.#redis.pipeline();
    for (const id of ids) this.#expire(tx, id, this.#windowMs * 2);
    tx.exec().catch(noop);
  }

  forget(id: string): void {
    const key = this.#key(id);
    this.#redis.del(key, `${key}:log`, `${key}:bases`).catch(noop);
  }

  async claim(
    id: string,
    secretHash: Uint8Array,
    identityKey: string,
  ): Promise<string | ResetReason> {
    const hash = Buffer.from(secretHash).toString("hex");
    const answer = await this.#redis.eval(
      CLAIM,
      1,
      this.#key(id),
      hash,
      identityKey,
      this.#options.nodeId,
    ).catch(() => "unknown") as string;
    return answer.startsWith("owner:") ? answer.slice("owner:".length) : answer as ResetReason;
  }

  async takeOver(id: string, owner: string): Promise<MirroredSession | undefined> {
    if (owner !== this.#options.nodeId && await this.#alive(owner)) {
      const released = new Promise<void>((resolve) => this.#waiting.set(id, resolve));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, TAKEOVER_MS));
      this.#send({ kind: "moved", id, from: this.#options.nodeId, to: owner });
      await Promise.race([released, timeout]);
      clearTimeout(timer);
      this.#waiting.delete(id);
    }
    return await this.#read(id);
  }

  onTakeOver(handler: (id: string) => Promise<void>): void {
    this.#handler = handler;
  }

  /** A message on the sessions channel. */
  receive(text: string): void {
    let message: HandOver;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.to !== this.#options.nodeId) return;
    if (message.kind === "released") {
      this.#waiting.get(message.id)?.();
      return;
    }
    // Released only after this node's last writes for the session: they are queued first.
    this.#handler(message.id).catch(noop).finally(() =>
      this.#send({ kind: "released", id: message.id, from: message.to, to: message.from })
    );
  }

  async #read(id: string): Promise<MirroredSession | undefined> {
    const key = this.#key(id);
    const [hash, log, bases] = await Promise.all([
      this.#redis.hgetall(key),
      this.#redis.xrangeBuffer(`${key}:log`, "-", "+"),
      this.#redis.hgetallBuffer(`${key}:bases`),
    ]);
    if (!hash.owner) return undefined;
    const frames: MirroredFrame[] = log.map(([entryId, fields]) => {
      const values = new Map<string, Buffer>();
      for (let i = 0; i + 1 < fields.length; i += 2) {
        values.set(fields[i].toString(), fields[i + 1]);
      }
      const seq = Number(entryId.toString().split("-")[0]);
      const frame = new Uint8Array(values.get("f")!);
      const stream = values.get("s")?.toString();
      if (stream === undefined) return { seq, frame };
      const requestId = values.get("r")!.toString();
      return {
        seq,
        frame,
        sync: {
          stream,
          event: values.get("e")!.toString(),
          requestId: requestId === "" ? undefined : Number(requestId),
          state: new Uint8Array(values.get("st")!),
        },
      };
    });
    const acked = Number(hash.acked ?? 0);
    return {
      rooms: JSON.parse(hash.rooms ?? "{}"),
      data: hash.data ?? "{}",
      identity: hash.identity || undefined,
      acked,
      seq: frames.length > 0 ? frames[frames.length - 1].seq : acked,
      frames,
      bases: new Map(
        Object.entries(bases).map(([stream, state]) => [stream, new Uint8Array(state)]),
      ),
    };
  }

  /** True while `node`'s presence heartbeat lives (see redis_presence.ts). */
  async #alive(node: string): Promise<boolean> {
    return await this.#redis.exists(`${this.#options.prefix}node:${node}`).catch(() => 0) === 1;
  }

  #send(message: HandOver): void {
    this.#options.publish(JSON.stringify(message));
  }

  #expire<T extends ReturnType<Redis["multi"]>>(tx: T, id: string, ms: number): T {
    const key = this.#key(id);
    tx.pexpire(key, ms).pexpire(`${key}:log`, ms).pexpire(`${key}:bases`, ms);
    return tx;
  }

  #key(id: string): string {
    return `${this.#options.prefix}session:${id}`;
  }
}
