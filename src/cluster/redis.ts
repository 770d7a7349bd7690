/**
 * A cluster adapter over Redis: pub/sub carries frames between nodes, and
 * presence lives in Redis data structures with expiry, so every node can
 * answer `members(room)` and a node that dies without a goodbye is noticed
 * by the others. This is the only file that imports a Redis client.
 *
 * Presence is `RedisPresence`'s (redis_presence.ts); this file owns the
 * connections, the link state and the timer. While Redis is unreachable each
 * node serves its own connections and rooms, logs the outage once, and when
 * Redis returns it re-announces what it holds (reporting what changed
 * meanwhile) before it logs "Cluster link up".
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

import { Redis } from "ioredis";
import type {
  ClusterAdapter,
  ClusterMessage,
  LocalEntry,
  PresenceListener,
  StoredMember,
} from "./adapter.ts";
import { decodeEnvelope, encodeEnvelope } from "./envelope.ts";
import { RedisPresence } from "./redis_presence.ts";
import { RedisSessions } from "./redis_sessions.ts";
import type { SessionMirror } from "../recovery/mirror.ts";
import { seal, unseal } from "./signing.ts";

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
/** Malformed cluster messages are summed up in one log line per this period. */
const DROPPED_LOG_MS = 60_000;
const SILENT: ClusterLog = { info() {}, warn() {} };

/** The pub/sub channel on which nodes hand recovery sessions over. */
function sessionsChannel(channel: string): string {
  return `${channel}:sessions`;
}

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
  readonly #url: string;
  readonly #log: ClusterLog;
  readonly #presence: RedisPresence;
  readonly #handlers: ((message: ClusterMessage) => void)[] = [];
  #sessions?: RedisSessions;
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
    this.#url = options.url;
    this.#log = options.log ?? SILENT;
    this.#secret = options.secret || undefined;
    this.counters = options.counters ?? { clusterPublishFailures: 0, clusterDropped: 0 };
    this.#presence = new RedisPresence(publisher, {
      prefix: `ssocket:${this.#channel}:`,
      nodeId: this.nodeId,
      presenceTimeout: options.presenceTimeout ?? DEFAULT_PRESENCE_TIMEOUT_S,
    });
    subscriber.on("messageBuffer", (channel: Uint8Array, data: Uint8Array) => {
      const name = new TextDecoder().decode(channel);
      if (name === this.#channel) this.#receive(data);
      else if (name === sessionsChannel(this.#channel)) {
        this.#sessions?.receive(new TextDecoder().decode(data));
      }
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
      const channel = options.channel ?? DEFAULT_CHANNEL;
      await subscriber.subscribe(channel, sessionsChannel(channel));
    } catch (err) {
      publisher.disconnect();
      subscriber.disconnect();
      throw err;
    }
    const adapter = new RedisAdapter(publisher, subscriber, options);
    await adapter.#presence.beat();
    adapter.#timer = setInterval(() => adapter.#tick(), adapter.#presence.intervalMs);
    return adapter;
  }

  get healthy(): boolean {
    return this.#publisher.status === "ready" && this.#subscriber.status === "ready";
  }

  /** Frames dropped because the link was down, or that Redis refused. */
  get publishErrors(): number {
    return this.counters.clusterPublishFailures;
  }

  publish(message: ClusterMessage): boolean {
    if (!this.healthy) {
      this.counters.clusterPublishFailures++;
      return false;
    }
    const envelope = seal(this.#secret, encodeEnvelope(this.nodeId, message));
    this.#publisher.publish(this.#channel, envelope).catch(() => {
      this.counters.clusterPublishFailures++;
    });
    return true;
  }

  /** Recovery sessions in Redis, announced on `<channel>:sessions`. */
  sessions(window: number): SessionMirror {
    this.#sessions ??= new RedisSessions(this.#publisher, {
      prefix: `ssocket:${this.#channel}:`,
      nodeId: this.nodeId,
      window,
      publish: (message) =>
        void this.#publisher.publish(sessionsChannel(this.#channel), message).catch(() => {}),
    });
    return this.#sessions;
  }

  async peers(): Promise<string[]> {
    return this.healthy ? await this.#presence.peers() : [];
  }

  subscribe(handler: (message: ClusterMessage) => void): void {
    this.#handlers.push(handler);
  }

  watchPresence(local: () => Iterable<LocalEntry>, listener: PresenceListener): void {
    this.#presence.watch(local, listener);
  }

  async join(room: string, id: string, meta: string): Promise<void> {
    if (this.healthy) await this.#presence.join(room, id, meta);
  }

  async leave(room: string, id: string): Promise<void> {
    if (this.healthy) await this.#presence.leave(room, id);
  }

  async members(room: string): Promise<StoredMember[] | undefined> {
    return this.healthy ? await this.#presence.members(room) : undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    // Connections still open here are about to vanish with the process.
    if (this.healthy) await this.#presence.forget().catch(() => {});
    await Promise.allSettled([this.#subscriber.quit(), this.#publisher.quit()]);
  }

  #receive(data: Uint8Array): void {
    const envelope = unseal(this.#secret, data);
    if (!envelope) return this.#drop();
    let decoded;
    try {
      decoded = decodeEnvelope(envelope);
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
        await this.#presence.reconcile();
        this.#up = true;
        this.#log.info(`Cluster link up: Redis at ${this.#url} is back`);
      }
      await this.#presence.beat();
      await this.#presence.sweep();
    } catch {
      // Retried at the next tick; outages are logged by #linkChanged.
    } finally {
      this.#ticking = false;
    }
  }
}
