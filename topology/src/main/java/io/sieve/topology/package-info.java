/**
 * The Kafka Streams topology of Sieve: validation, deduplication and assembly of batches, the store
 * definitions, and the wiring of the other packages' processors.
 */
package io.sieve.topology;
