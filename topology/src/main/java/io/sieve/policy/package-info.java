/**
 * The planner, the selection policies (uniform, cluster-balanced, iterative refinement, UCB, EXP3,
 * coverage, equitable) and group constraints, and their sampling primitives: budget water-filling,
 * hypergeometric and multinomial draws, seeded pseudo-random permutations and the seed derivation
 * that keeps every choice reproducible.
 */
package io.sieve.policy;
