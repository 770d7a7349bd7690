/**
 * A private `redis-server` for the rooms scenario: the same helper the
 * cluster tests use (its own free port on 127.0.0.1, no persistence, retried
 * if the port was taken first), so the bench and the tests start Redis one
 * way.
 *
 * @module
 */

export { REDIS_MISSING, startRedis } from "../../tests/_redis.ts";
