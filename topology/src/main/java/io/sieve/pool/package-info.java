/**
 * Per-cluster pools in RocksDB: reservoir-capped slots, per-cluster statistics, the fulfil step
 * that reads the slots a plan asks for or draws group quotas and coverage strata itself, and the
 * score updates that feedback's per-example losses bring.
 */
package io.sieve.pool;
