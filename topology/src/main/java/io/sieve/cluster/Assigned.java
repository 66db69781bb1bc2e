package io.sieve.cluster;

import io.sieve.avro.BatchExample;
import io.sieve.avro.ModelUpdate;

/** What assignment emits: an example for its cluster's pool, or an update for the model owner. */
public sealed interface Assigned permits Assigned.ToPool, Assigned.ToOwner {

  /** An example assigned to a cluster. */
  record ToPool(int clusterId, BatchExample example) implements Assigned {}

  /** Bootstrap samples or per-cluster sums for the model owner. */
  record ToOwner(ModelUpdate update) implements Assigned {}
}
