/**
 * Presence kept in Redis data structures, for the Redis cluster adapter.
 * Keys, all under `ssocket:<channel>:`
 * - `nodes`: set of node ids that joined the cluster;
 * - `node:<id>`: the node's heartbeat, expiring after 2/3 of `presenceTimeout`;
 * - `node:<id>:members`: set of `<connection id>\n<room>` the node holds;
 * - `room:<room>`: hash of connection id → `<node id>\n<meta JSON>`.
 *
 * Every node refreshes its heartbeat and sweeps for dead nodes four times per
 * `presenceTimeout`; the first to find one takes a lock, removes its members
 * and reports them as left. Redis does the storing, expiring and locking; no
 * consensus of our own.
 *
 * @example
 * ```ts ignore
 * const presence = new RedisPresence(redis, { prefix: "ssocket:app:", nodeId, presenceTimeout: 15 });
 * await presence.beat();
 * await presence.join("lobby", connectionId, "null");
 * ```
 * @module
 */

import type { Redis } from "ioredis";
import type { LocalEntry, PresenceListener, StoredMember } from "./adapter.ts";

/** How long a sweeping node holds the right to clean up one dead node. */
const REAP_LOCK_MS = 30_000;

/** Options of {@linkcode RedisPresence}. */
export interface RedisPresenceOptions {
  /** Key prefix, e.g. "ssocket:<channel>:". */
  prefix: string;
  /** This node's id. */
  nodeId: string;
  /** Seconds after which a dead node's members are reported as left. */
  presenceTimeout: number;
}

/** One node's view of presence in Redis. */
export class RedisPresence {
  /** Milliseconds between heartbeats (and sweeps). */
  readonly intervalMs: number;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #nodeId: string;
  readonly #heartbeatMs: number;
  #local: () => Iterable<LocalEntry> = () => [];
  #listener: PresenceListener = () => {};

  /**
   * @param redis a connection that is not in subscriber mode
   * @param options key prefix, node id and timeout
   */
  constructor(redis: Redis, options: RedisPresenceOptions) {
    this.#redis = redis;
    this.#prefix = options.prefix;
    this.#nodeId = options.nodeId;
    const timeoutMs = options.presenceTimeout * 1000;
    // A heartbeat lives 2/3 of the timeout and sweeps run every quarter, so a
    // dead node is found within the timeout even if it died just after a refresh.
    this.#heartbeatMs = Math.max(1, Math.round(timeoutMs * 2 / 3));
    this.intervalMs = Math.max(1, Math.round(timeoutMs / 4));
  }

  /** What this node holds, and where changes found by sweeps and reconciles are reported. */
  watch(local: () => Iterable<LocalEntry>, listener: PresenceListener): void {
    this.#local = local;
    this.#listener = listener;
  }

  /** Records that connection `id` of this node is in `room`. */
  async join(room: string, id: string, meta: string): Promise<void> {
    await this.#redis.multi()
      .hset(this.#roomKey(room), id, `${this.#nodeId}\n${meta}`)
      .sadd(this.#membersKey(this.#nodeId), entryKey(id, room))
      .exec();
  }

  /** Removes the record of `join`. */
  async leave(room: string, id: string): Promise<void> {
    await this.#redis.multi()
      .hdel(this.#roomKey(room), id)
      .srem(this.#membersKey(this.#nodeId), entryKey(id, room))
      .exec();
  }

  /** The members of `room` on nodes whose heartbeat is alive. */
  async members(room: string): Promise<StoredMember[]> {
    const all = await this.#redis.hgetall(this.#roomKey(room));
    const entries = Object.entries(all).map(([id, value]) => {
      const cut = value.indexOf("\n");
      return { id, node: value.slice(0, cut), meta: value.slice(cut + 1) };
    });
    // A dead node's entries stay until a sweep removes them; hide them now.
    const others = [...new Set(entries.map((e) => e.node))].filter((n) => n !== this.#nodeId);
    const alive = new Set([this.#nodeId]);
    const beats = await this.#exists(others.map((node) => this.#heartbeatKey(node)));
    others.forEach((node, i) => beats[i] === 1 && alive.add(node));
    return entries.filter((e) => alive.has(e.node)).map(({ id, meta }) => ({ id, meta }));
  }

  /** The other nodes whose heartbeat is alive, sorted. */
  async peers(): Promise<string[]> {
    const nodes = (await this.#redis.smembers(this.#nodesKey())).filter((n) => n !== this.#nodeId);
    const beats = await this.#exists(nodes.map((node) => this.#heartbeatKey(node)));
    return nodes.filter((_, i) => beats[i] === 1).sort();
  }

  /** Refreshes this node's heartbeat. */
  async beat(): Promise<void> {
    await this.#redis.multi()
      .set(this.#heartbeatKey(this.#nodeId), "1", "PX", this.#heartbeatMs)
      .sadd(this.#nodesKey(), this.#nodeId)
      .exec();
  }

  /** Finds nodes whose heartbeat expired and reaps each one (one sweeper per dead node). */
  async sweep(): Promise<void> {
    const nodes = (await this.#redis.smembers(this.#nodesKey())).filter((n) => n !== this.#nodeId);
    const beats = await this.#exists(nodes.map((node) => this.#heartbeatKey(node)));
    for (const [i, node] of nodes.entries()) {
      // Only a heartbeat known to be gone counts; a failed EXISTS proves nothing.
      if (beats[i] !== 0) continue;
      const lock = `${this.#prefix}reap:${node}`;
      if (await this.#redis.set(lock, this.#nodeId, "PX", REAP_LOCK_MS, "NX") !== "OK") continue;
      await this.reap(node);
      await this.#redis.del(lock);
    }
  }

  /** Removes every membership of `node` and reports it as left. */
  async reap(node: string): Promise<void> {
    const entries = await this.#redis.smembers(this.#membersKey(node));
    const left = new Map<string, string[]>();
    const tx = this.#redis.multi();
    for (const entry of entries) {
      const { id, room } = parseEntry(entry);
      tx.hdel(this.#roomKey(room), id);
      left.set(room, [...(left.get(room) ?? []), id]);
    }
    tx.del(this.#membersKey(node)).srem(this.#nodesKey(), node);
    await tx.exec();
    for (const [room, ids] of left) this.#listener(room, [], ids);
  }

  /** Leaves the cluster: this node's members (reported as left), heartbeat and node entry. */
  async forget(): Promise<void> {
    await this.reap(this.#nodeId);
    await this.#redis.multi()
      .del(this.#heartbeatKey(this.#nodeId))
      .srem(this.#nodesKey(), this.#nodeId)
      .exec();
  }

  /**
   * After an outage: announce this node again and make Redis hold exactly
   * what it holds, reporting the joins and leaves the others missed.
   */
  async reconcile(): Promise<void> {
    await this.beat();
    const held = new Set(await this.#redis.smembers(this.#membersKey(this.#nodeId)));
    const joined = new Map<string, StoredMember[]>();
    const left = new Map<string, string[]>();
    const tx = this.#redis.multi();
    for (const { room, id, meta } of this.#local()) {
      const key = entryKey(id, room);
      if (held.delete(key)) continue;
      tx.hset(this.#roomKey(room), id, `${this.#nodeId}\n${meta}`)
        .sadd(this.#membersKey(this.#nodeId), key);
      joined.set(room, [...(joined.get(room) ?? []), { id, meta }]);
    }
    for (const key of held) {
      const { id, room } = parseEntry(key);
      tx.hdel(this.#roomKey(room), id).srem(this.#membersKey(this.#nodeId), key);
      left.set(room, [...(left.get(room) ?? []), id]);
    }
    await tx.exec();
    for (const room of new Set([...joined.keys(), ...left.keys()])) {
      this.#listener(room, joined.get(room) ?? [], left.get(room) ?? []);
    }
  }

  /** EXISTS for each of `keys` in one round trip: 1, 0, or undefined where it failed. */
  async #exists(keys: string[]): Promise<(number | undefined)[]> {
    if (keys.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const key of keys) pipeline.exists(key);
    const results = (await pipeline.exec()) ?? [];
    return keys.map((_, i) => results[i]?.[0] ? undefined : results[i]?.[1] as number);
  }

  #nodesKey(): string {
    return `${this.#prefix}nodes`;
  }
  #heartbeatKey(node: string): string {
    return `${this.#prefix}node:${node}`;
  }
  #membersKey(node: string): string {
    return `${this.#prefix}node:${node}:members`;
  }
  #roomKey(room: string): string {
    return `${this.#prefix}room:${room}`;
  }
}

/** Connection ids are UUIDs, so the first newline ends the id whatever the room holds. */
function entryKey(id: string, room: string): string {
  return `${id}\n${room}`;
}

function parseEntry(entry: string): { id: string; room: string } {
  const cut = entry.indexOf("\n");
  return { id: entry.slice(0, cut), room: entry.slice(cut + 1) };
}
