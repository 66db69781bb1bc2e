/**
 * Stage 3, assign and the model owner: each example goes to its nearest centre of the global
 * centroid model (a global store); the single model owner applies the decayed mini-batch updates,
 * spawns, splits and retires clusters, and publishes model versions.
 */
package io.sieve.assign;
