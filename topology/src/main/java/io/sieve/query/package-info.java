/**
 * The REST API over interactive queries: health and readiness, the Prometheus scrape, clusters from
 * the global stores, and trainers from the partitioned stores, routed to the instance that owns
 * each key. Queries retry for a bounded time while a store is not queryable, then answer 503 with
 * Retry-After; they never wait without bound.
 */
package io.sieve.query;
