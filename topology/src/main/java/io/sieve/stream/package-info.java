/**
 * The stream plumbing every stage shares: store names and builders, the outcome of processing a
 * record (forward, dead-letter), dead-letter records, and the metrics of the topology.
 */
package io.sieve.stream;
