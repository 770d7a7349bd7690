/**
 * A cluster adapter over Redis pub/sub: BROADCASTs and `sendTo` reach
 * connections held by every ssocket process subscribed to the same channel.
 * This is the only file that imports a Redis client.
 *
 * @example
 * ```ts ignore
 * import { serve, Hub, withDefaults } from "ssocket";
 * import { RedisAdapter } from "./redis.ts";
 * const adapter = await RedisAdapter.connect({ url: "redis://127.0.0.1:6379" });
 * const server = await serve({ config: withDefaults(), hub: new Hub(undefined, adapter) });
 * ```
 * @module
 */

import { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import type { ClusterAdapter, ClusterMessage } from "./adapter.ts";
import { decodeEnvelope, encodeEnvelope } from "./envelope.ts";

/** Options of {@linkcode RedisAdapter.connect}. */
export interface RedisAdapterOptions {
  /** Redis URL, e.g. "redis://127.0.0.1:6379". */
  url: string;
  /** Pub/sub channel shared by the processes of one cluster. */
  channel?: string;
  /** Called when a received message cannot be decoded or delivered. */
  onError?: (err: unknown) => void;
}

const DEFAULT_CHANNEL = "ssocket";

/** Publishes frames to, and receives them from, peers through a Redis channel. */
export class RedisAdapter implements ClusterAdapter {
  /** This process's id; its own publications are ignored when they come back. */
  readonly nodeId: string = crypto.randomUUID();
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #handlers: ((message: ClusterMessage) => void)[] = [];
  readonly #onError: (err: unknown) => void;

  private constructor(publisher: Redis, subscriber: Redis, options: RedisAdapterOptions) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#channel = options.channel ?? DEFAULT_CHANNEL;
    this.#onError = options.onError ?? (() => {});
    subscriber.on("messageBuffer", (channel: Uint8Array, data: Uint8Array) => {
      if (new TextDecoder().decode(channel) !== this.#channel) return;
      this.#receive(data);
    });
  }

  /**
   * Connects a publisher and a subscriber (pub/sub needs its own connection)
   * and subscribes to the channel before resolving, so nothing published
   * after `connect` resolves is missed.
   *
   * @throws if Redis cannot be reached
   */
  static async connect(options: RedisAdapterOptions): Promise<RedisAdapter> {
    const settings = { lazyConnect: true, maxRetriesPerRequest: 2 };
    const publisher = new Redis(options.url, settings);
    const subscriber = new Redis(options.url, settings);
    try {
      await Promise.all([publisher.connect(), subscriber.connect()]);
      await subscriber.subscribe(options.channel ?? DEFAULT_CHANNEL);
    } catch (err) {
      publisher.disconnect();
      subscriber.disconnect();
      throw err;
    }
    return new RedisAdapter(publisher, subscriber, options);
  }

  publish(message: ClusterMessage): boolean {
    const envelope = encodeEnvelope(this.nodeId, message);
    this.#publisher.publish(this.#channel, Buffer.from(envelope)).catch(this.#onError);
    return true;
  }

  subscribe(handler: (message: ClusterMessage) => void): void {
    this.#handlers.push(handler);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#subscriber.quit(), this.#publisher.quit()]);
  }

  #receive(data: Uint8Array): void {
    try {
      const { nodeId, message } = decodeEnvelope(data);
      if (nodeId === this.nodeId) return;
      for (const handler of this.#handlers) handler(message);
    } catch (err) {
      this.#onError(err);
    }
  }
}
