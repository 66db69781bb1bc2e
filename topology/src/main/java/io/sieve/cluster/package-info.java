/**
 * Online clustering of embeddings: flat centroid sets, k-means++ seeding with spherical Lloyd
 * refinement, and the decayed mini-batch update that lets centres follow a drifting stream. No
 * Kafka Streams here.
 */
package io.sieve.cluster;
