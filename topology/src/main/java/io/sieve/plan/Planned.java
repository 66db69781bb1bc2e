package io.sieve.plan;

import io.sieve.avro.PlanFragment;
import io.sieve.avro.TrainingBatch;

/**
 * What the planner sends on: a fragment of a planned batch, for its cluster's pool partition, or a
 * batch released to its trainer, to be written to the trainer's topic with its manifest.
 */
public sealed interface Planned permits Planned.Fragment, Planned.Release {

  /** One cluster's part of a planned batch; goes to the pool keyed by the fragment's cluster. */
  record Fragment(PlanFragment fragment) implements Planned {}

  /** A batch released on credit, in sequence order, as the trainer receives it. */
  record Release(TrainingBatch batch) implements Planned {}
}
