/**
 * Stage 4, pool and fulfil: per-cluster pools in RocksDB (reservoir- or redundancy-capped slots,
 * per-cluster statistics, near-duplicate pruning), the fulfil step that draws what a plan fragment
 * asks for, and the score updates that feedback's per-example losses bring.
 */
package io.sieve.pool;
