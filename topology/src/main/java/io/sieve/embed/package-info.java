/**
 * Turning text into embeddings: the {@link io.sieve.embed.Embedder} interface, a dependency-free
 * feature-hashing embedder that maps any text to a unit vector of any dimension, and the
 * all-MiniLM-L6-v2 sentence model (384 dimensions) run in-process, so the rest of the pipeline can
 * work with cosine geometry. {@link io.sieve.embed.Embedders} picks one from the configuration.
 */
package io.sieve.embed;
