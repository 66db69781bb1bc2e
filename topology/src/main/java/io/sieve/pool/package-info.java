/**
 * Per-cluster pools in RocksDB: reservoir-capped slots, per-cluster statistics, and the fulfil step
 * that reads the slots a plan asks for.
 */
package io.sieve.pool;
