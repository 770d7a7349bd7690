/**
 * A cluster adapter over Redis: pub/sub carries frames between nodes, and
 * presence lives in Redis data structures with expiry, so every node can
 * answer `members(room)` and a node that dies without a goodbye is noticed
 * by the others. This is the only file that imports a Redis client.
 *
 * Keys, all under `ssocket:<channel>:`
 * - `nodes`: set of node ids that joined the cluster;
 * - `node:<id>`: the node's heartbeat, expiring after 2/3 of `presenceTimeout`;
 * - `node:<id>:members`: set of `<connection id>\n<room>` the node holds;
 * - `room:<room>`: hash of connection id → `<node id>\n<meta JSON>`.
 *
 * Every node refreshes its heartbeat and sweeps for dead nodes four times per
 * `presenceTimeout`; the first to find one takes a lock, removes its members
 * and reports them as left. While Redis is unreachable each node serves its
 * own connections and rooms, logs the outage once, and when Redis returns it
 * re-announces what it holds (reporting what changed meanwhile).
 *
 * @example
 * ```ts ignore
 * import { serve, withDefaults } from "ssocket";
 * import { RedisAdapter } from "./redis.ts";
 * const adapter = await RedisAdapter.connect({ url: "redis://127.0.0.1:6379" });
 * const server = await serve({ config: withDefaults(), adapter });
 * ```
 * @module
 */

import { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import type {
  ClusterAdapter,
  ClusterMessage,
  LocalEntry,
  PresenceListener,
  StoredMember,
} from "./adapter.ts";
import { decodeEnvelope, encodeEnvelope } from "./envelope.ts";
import { sign, verify } from "./signing.ts";

/** The log lines the adapter writes. */
export interface ClusterLog {
  info(...parts: unknown[]): void;
  warn(...parts: unknown[]): void;
}

/** Options of {@linkcode RedisAdapter.connect}. */
export interface RedisAdapterOptions {
  /** Redis URL, e.g. "redis://127.0.0.1:6379". */
  url: string;
  /** Pub/sub channel shared by the processes of one cluster; also the key prefix. */
  channel?: string;
  /** Seconds after which a dead node's members are reported as left (default 15). */
  presenceTimeout?: number;
  /** Where link changes and dropped messages are reported; silent by default. */
  log?: ClusterLog;
  /**
   * Shared secret: every message is sent with an HMAC-SHA256 of it, and
   * messages whose HMAC does not match are dropped. Without one, anyone who
   * can publish on the channel can reach every client.
   */
  secret?: string;
  /** Where failed publishes and dropped messages are counted; the adapter's own by default. */
  counters?: ClusterCounters;
}

/** The adapter's counters (a part of the runtime's `LimitCounters`). */
export interface ClusterCounters {
  /** Publishes that failed: the link was down, or Redis refused. */
  clusterPublishFailures: number;
  /** Messages received and dropped: malformed, or without a valid HMAC. */
  clusterDropped: number;
}

const DEFAULT_CHANNEL = "ssocket";
const DEFAULT_PRESENCE_TIMEOUT_S = 15;
/** Reconnect attempts back off to at most this, so a returning Redis is found within a second. */
const MAX_RETRY_MS = 1000;
/** How long a sweeping node holds the right to clean up one dead node. */
const REAP_LOCK_MS = 30_000;
/** Malformed cluster messages are summed up in one log line per this period. */
const DROPPED_LOG_MS = 60_000;
const SILENT: ClusterLog = { info() {}, warn() {} };

/** Publishes frames to, and receives them from, peers; keeps presence in Redis. */
export class RedisAdapter implements ClusterAdapter {
  /** This process's id; its own publications are ignored when they come back. */
  readonly nodeId: string = crypto.randomUUID();
  /** Failed publishes and dropped messages. */
  readonly counters: ClusterCounters;
  readonly #secret?: string;
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #prefix: string;
  readonly #url: string;
  readonly #log: ClusterLog;
  readonly #heartbeatMs: number;
  readonly #intervalMs: number;
  readonly #handlers: ((message: ClusterMessage) => void)[] = [];
  #local: () => Iterable<LocalEntry> = () => [];
  #listener: PresenceListener = () => {};
  #timer?: ReturnType<typeof setInterval>;
  #up = true;
  #ticking = false;
  #closed = false;
  #dropped = 0;
  #droppedSince = 0;

  private constructor(publisher: Redis, subscriber: Redis, options: RedisAdapterOptions) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#channel = options.channel ?? DEFAULT_CHANNEL;
    this.#prefix = `ssocket:${this.#channel}:`;
    this.#url = options.url;
    this.#log = options.log ?? SILENT;
    this.#secret = options.secret || undefined;
    this.counters = options.counters ?? { clusterPublishFailures: 0, clusterDropped: 0 };
    const timeoutMs = (options.presenceTimeout ?? DEFAULT_PRESENCE_TIMEOUT_S) * 1000;
    // A heartbeat lives 2/3 of the timeout and sweeps run every quarter, so a
    // dead node is found within the timeout even if it died just after a refresh.
    this.#heartbeatMs = Math.max(1, Math.round(timeoutMs * 2 / 3));
    this.#intervalMs = Math.max(1, Math.round(timeoutMs / 4));
    subscriber.on("messageBuffer", (channel: Uint8Array, data: Uint8Array) => {
      if (new TextDecoder().decode(channel) !== this.#channel) return;
      this.#receive(data);
    });
    for (const connection of [publisher, subscriber]) {
      // ioredis prints "Unhandled error event" without a listener; the link
      // state below is what gets logged, once per outage.
      connection.on("error", () => {});
      connection.on("close", () => this.#linkChanged());
      // Re-announce as soon as Redis is back, not at the next heartbeat.
      connection.on("ready", () => void this.#tick());
    }
  }

  /**
   * Connects a publisher and a subscriber (pub/sub needs its own connection),
   * subscribes, and announces this node before resolving, so nothing published
   * after `connect` resolves is missed.
   *
   * @throws if Redis cannot be reached
   */
  static async connect(options: RedisAdapterOptions): Promise<RedisAdapter> {
    const retryStrategy = (times: number) => Math.min(times * 100, MAX_RETRY_MS);
    const publisher = new Redis(options.url, {
      lazyConnect: true,
      retryStrategy,
      // Fail fast while Redis is away, instead of flushing stale frames later:
      // nothing is queued while the link is down, and nothing in flight when
      // it drops is sent again after it is back.
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 1,
    });
    const subscriber = new Redis(options.url, { lazyConnect: true, retryStrategy });
    try {
      await Promise.all([publisher.connect(), subscriber.connect()]);
      await subscriber.subscribe(options.channel ?? DEFAULT_CHANNEL);
    } catch (err) {
      publisher.disconnect();
      subscriber.disconnect();
      throw err;
    }
    const adapter = new RedisAdapter(publisher, subscriber, options);
    await adapter.#beat();
    adapter.#timer = setInterval(() => adapter.#tick(), adapter.#intervalMs);
    return adapter;
  }

  get healthy(): boolean {
    return this.#publisher.status === "ready" && this.#subscriber.status === "ready";
  }

  publish(message: ClusterMessage): boolean {
    if (!this.healthy) {
      this.counters.clusterPublishFailures++;
      return false;
    }
    const envelope = encodeEnvelope(this.nodeId, message);
    const signed = this.#secret === undefined
      ? Buffer.from(envelope)
      : sign(this.#secret, envelope);
    this.#publisher.publish(this.#channel, signed).catch(() => {
      this.counters.clusterPublishFailures++;
    });
    return true;
  }

  subscribe(handler: (message: ClusterMessage) => void): void {
    this.#handlers.push(handler);
  }

  watchPresence(local: () => Iterable<LocalEntry>, listener: PresenceListener): void {
    this.#local = local;
    this.#listener = listener;
  }

  async join(room: string, id: string, meta: string): Promise<void> {
    if (!this.healthy) return;
    await this.#publisher.multi()
      .hset(this.#roomKey(room), id, `${this.nodeId}\n${meta}`)
      .sadd(this.#membersKey(this.nodeId), entryKey(id, room))
      .exec();
  }

  async leave(room: string, id: string): Promise<void> {
    if (!this.healthy) return;
    await this.#publisher.multi()
      .hdel(this.#roomKey(room), id)
      .srem(this.#membersKey(this.nodeId), entryKey(id, room))
      .exec();
  }

  async members(room: string): Promise<StoredMember[] | undefined> {
    if (!this.healthy) return undefined;
    const all = await this.#publisher.hgetall(this.#roomKey(room));
    const entries = Object.entries(all).map(([id, value]) => {
      const cut = value.indexOf("\n");
      return { id, node: value.slice(0, cut), meta: value.slice(cut + 1) };
    });
    // A dead node's entries stay until a sweep removes them; hide them now.
    const nodes = [...new Set(entries.map((e) => e.node))].filter((n) => n !== this.nodeId);
    const alive = new Set([this.nodeId]);
    if (nodes.length > 0) {
      const pipeline = this.#publisher.pipeline();
      for (const node of nodes) pipeline.exists(this.#heartbeatKey(node));
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([, exists], i) => exists === 1 && alive.add(nodes[i]));
    }
    return entries.filter((e) => alive.has(e.node)).map(({ id, meta }) => ({ id, meta }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    if (this.healthy) {
      // Connections still open here are about to vanish with the process.
      await this.#reap(this.nodeId).catch(() => {});
      await this.#publisher.multi()
        .del(this.#heartbeatKey(this.nodeId))
        .srem(this.#nodesKey(), this.nodeId)
        .exec()
        .catch(() => {});
    }
    await Promise.allSettled([this.#subscriber.quit(), this.#publisher.quit()]);
  }

  #receive(data: Uint8Array): void {
    if (this.#secret !== undefined) {
      const envelope = verify(this.#secret, data);
      if (!envelope) return this.#drop();
      data = envelope;
    }
    let decoded;
    try {
      decoded = decodeEnvelope(data);
    } catch {
      this.#drop();
      return;
    }
    if (decoded.nodeId === this.nodeId) return;
    for (const handler of this.#handlers) handler(decoded.message);
  }

  /** Counts a malformed or unauthenticated message; logs the count at most once a minute. */
  #drop(): void {
    this.#dropped++;
    this.counters.clusterDropped++;
    const now = Date.now();
    if (now - this.#droppedSince < DROPPED_LOG_MS) return;
    this.#log.warn(
      `Dropped ${this.#dropped} malformed or unauthenticated cluster message(s) on "${this.#channel}"`,
    );
    this.#dropped = 0;
    this.#droppedSince = now;
  }

  #linkChanged(): void {
    if (this.#closed || !this.#up || this.healthy) return;
    this.#up = false;
    this.#log.warn(
      `Cluster link down: Redis at ${this.#url} is unreachable; serving this node's connections only`,
    );
  }

  /**
   * Heartbeat and sweep; after an outage, first the re-announcement. The link
   * counts as up again only once this node's members are back in Redis, so
   * "Cluster link up" means other nodes can see them.
   */
  async #tick(): Promise<void> {
    // Both connections' "ready" and the timer can fire together; one tick at a time.
    if (this.#closed || this.#ticking || !this.healthy) return;
    this.#ticking = true;
    try {
      if (!this.#up) {
        await this.#reconcile();
        this.#up = true;
        this.#log.info(`Cluster link up: Redis at ${this.#url} is back`);
      }
      await this.#beat();
      await this.#sweep();
    } catch {
      // Retried at the next tick; outages are logged by #linkChanged.
    } finally {
      this.#ticking = false;
    }
  }

  #beat(): Promise<unknown> {
    return this.#publisher.multi()
      .set(this.#heartbeatKey(this.nodeId), "1", "PX", this.#heartbeatMs)
      .sadd(this.#nodesKey(), this.nodeId)
      .exec();
  }

  /** Finds nodes whose heartbeat expired and reaps each one (one sweeper per dead node). */
  async #sweep(): Promise<void> {
    const nodes = (await this.#publisher.smembers(this.#nodesKey())).filter((n) =>
      n !== this.nodeId
    );
    if (nodes.length === 0) return;
    const pipeline = this.#publisher.pipeline();
    for (const node of nodes) pipeline.exists(this.#heartbeatKey(node));
    const results = (await pipeline.exec()) ?? [];
    for (let i = 0; i < nodes.length; i++) {
      if (results[i]?.[1] !== 0) continue;
      const lock = `${this.#prefix}reap:${nodes[i]}`;
      if (await this.#publisher.set(lock, this.nodeId, "PX", REAP_LOCK_MS, "NX") !== "OK") continue;
      await this.#reap(nodes[i]);
      await this.#publisher.del(lock);
    }
  }

  /** Removes every membership of `node` and reports it as left. */
  async #reap(node: string): Promise<void> {
    const entries = await this.#publisher.smembers(this.#membersKey(node));
    const left = new Map<string, string[]>();
    const tx = this.#publisher.multi();
    for (const entry of entries) {
      const { id, room } = parseEntry(entry);
      tx.hdel(this.#roomKey(room), id);
      left.set(room, [...(left.get(room) ?? []), id]);
    }
    tx.del(this.#membersKey(node)).srem(this.#nodesKey(), node);
    await tx.exec();
    for (const [room, ids] of left) this.#listener(room, [], ids);
  }

  /**
   * After an outage: announce this node again and make Redis hold exactly
   * what it holds, reporting the joins and leaves the others missed.
   */
  async #reconcile(): Promise<void> {
    await this.#beat();
    const held = new Set(await this.#publisher.smembers(this.#membersKey(this.nodeId)));
    const joined = new Map<string, StoredMember[]>();
    const left = new Map<string, string[]>();
    const tx = this.#publisher.multi();
    for (const { room, id, meta } of this.#local()) {
      const key = entryKey(id, room);
      if (held.delete(key)) continue;
      tx.hset(this.#roomKey(room), id, `${this.nodeId}\n${meta}`)
        .sadd(this.#membersKey(this.nodeId), key);
      joined.set(room, [...(joined.get(room) ?? []), { id, meta }]);
    }
    for (const key of held) {
      const { id, room } = parseEntry(key);
      tx.hdel(this.#roomKey(room), id).srem(this.#membersKey(this.nodeId), key);
      left.set(room, [...(left.get(room) ?? []), id]);
    }
    await tx.exec();
    for (const room of new Set([...joined.keys(), ...left.keys()])) {
      this.#listener(room, joined.get(room) ?? [], left.get(room) ?? []);
    }
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
