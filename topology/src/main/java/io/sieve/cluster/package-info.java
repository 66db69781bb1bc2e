/**
 * Online clustering of embeddings: flat centroid sets, k-means++ seeding with spherical Lloyd
 * refinement, and the decayed mini-batch update that lets centres follow a drifting stream.
 */
package io.sieve.cluster;
