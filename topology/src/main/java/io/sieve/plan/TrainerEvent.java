package io.sieve.plan;

import io.sieve.avro.TrainerControl;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainingBatch;

/**
 * What the planner hears about a trainer: a new spec (null: removed), feedback, an operator's
 * control, or one of its planned batches, assembled and back to be released.
 */
public sealed interface TrainerEvent
    permits TrainerEvent.SpecChanged,
        TrainerEvent.Feedback,
        TrainerEvent.Control,
        TrainerEvent.Staged {

  record SpecChanged(TrainerSpec spec) implements TrainerEvent {}

  record Feedback(TrainerFeedback feedback) implements TrainerEvent {}

  record Control(TrainerControl control) implements TrainerEvent {}

  /** An assembled batch, embeddings packed, waiting for the trainer's credit. */
  record Staged(TrainingBatch batch) implements TrainerEvent {}
}
