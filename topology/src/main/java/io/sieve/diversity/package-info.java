/**
 * Diversity telemetry: the Vendi score of a set of embeddings, kept incrementally through a running
 * second-moment matrix on a small random projection.
 */
package io.sieve.diversity;
