/**
 * Plug versions and the Workers holding them, and the registry that tells
 * the isolation when a version stops being current (replaced by a reload or
 * deleted), so its Worker can be drained and terminated.
 *
 * @example
 * ```ts ignore
 * const registry = new IsolatedRegistry((version) => console.log("retired", version.event));
 * ```
 * @module
 */

import { PlugRegistry } from "../plugs/registry.ts";
import type { Plug, PlugHandler } from "../plugs/types.ts";
import type { PlugHost } from "./host.ts";

/** One loaded content of a plug file. */
export interface Version {
  /** Unique id. */
  v: number;
  /** Its event. */
  event: string;
  /** The module URL (with its content hash). */
  url: string;
  /** True while the registry serves it. */
  current: boolean;
  /** The Worker it is loaded in. */
  worker?: WorkerRecord;
  /** Resolves once loaded there. */
  ready?: Promise<void>;
  /** Its plug has several handlers: they share one message object in the Worker. */
  shared?: boolean;
  /** Its `schema` checks payloads: calls carry the validator's output. */
  payloadSchema?: boolean;
}

/** One Worker in a host. */
export interface WorkerRecord {
  /** Unique id (across hosts). */
  w: number;
  /** The host process it runs in. */
  host: PlugHost;
  /** The plug versions loaded in it. */
  versions: Set<Version>;
  /** Calls running in it. */
  active: number;
  /** A ping is out to check whether it hung. */
  suspected: boolean;
  /** When none of its versions was current any more. */
  retiredAt?: number;
  /** Terminates it at `drainTimeout` even if calls still run. */
  drainTimer?: ReturnType<typeof setTimeout>;
}

/** A {@linkcode PlugRegistry} that reports versions it stops serving. */
export class IsolatedRegistry extends PlugRegistry {
  /** The version behind each proxy handler. */
  readonly versions: WeakMap<PlugHandler, Version> = new WeakMap();
  readonly #byId = new Map<number, Version>();
  readonly #retire: (version: Version) => void;

  /** @param retire called with each version that stops being current */
  constructor(retire: (version: Version) => void) {
    super();
    this.#retire = retire;
  }

  /** The version with id `v`, while it is current or draining. */
  version(v: number): Version | undefined {
    return this.#byId.get(v);
  }

  /** Every version the registry serves. */
  currentVersions(): Version[] {
    return [...this.#byId.values()].filter((version) => version.current);
  }

  override set(plug: Plug): void {
    const old = this.get(plug.event);
    const version = this.#versionOf(plug);
    if (version) {
      version.current = true;
      this.#byId.set(version.v, version);
    }
    super.set(plug);
    if (old) this.#drop(old);
  }

  override delete(event: string): boolean {
    const old = this.get(event);
    const deleted = super.delete(event);
    if (old) this.#drop(old);
    return deleted;
  }

  #versionOf(plug: Plug): Version | undefined {
    return plug.handlers.length > 0 ? this.versions.get(plug.handlers[0]) : undefined;
  }

  #drop(plug: Plug): void {
    const version = this.#versionOf(plug);
    if (!version) return;
    this.#byId.delete(version.v);
    this.#retire(version);
  }
}
