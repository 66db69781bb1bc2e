/**
 * The selection policies (uniform, cluster-balanced, iterative refinement, UCB, EXP3, coverage,
 * equitable) and group constraints, and their sampling primitives: budget water-filling,
 * hypergeometric and multinomial draws, the pool-side draws, seeded pseudo-random permutations and
 * the seed derivation that keeps every choice reproducible. No Kafka Streams here.
 */
package io.sieve.policy;
