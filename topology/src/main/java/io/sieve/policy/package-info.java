/**
 * Selection policies and their sampling primitives: budget water-filling, hypergeometric draws,
 * seeded pseudo-random permutations and the seed derivation that keeps every choice reproducible.
 */
package io.sieve.policy;
