/**
 * Turning text into embeddings: a dependency-free feature-hashing embedder that maps any text to a
 * unit vector of fixed dimension, so the rest of the pipeline can work with cosine geometry.
 */
package io.sieve.embed;
