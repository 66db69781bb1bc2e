/**
 * Client of the Confluent Schema Registry REST API (as served by Confluent, Apicurio under {@code
 * /apis/ccompat/v7}, Karapace and Redpanda): registers the Avro schemas Sieve writes and fetches
 * writer schemas by id, caching both so the hot path makes no HTTP calls.
 */
package io.sieve.registry;
