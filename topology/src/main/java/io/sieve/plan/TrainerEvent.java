package io.sieve.plan;

import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;

/** What the planner hears about a trainer: a new spec (null: removed) or feedback. */
public sealed interface TrainerEvent permits TrainerEvent.SpecChanged, TrainerEvent.Feedback {

  record SpecChanged(TrainerSpec spec) implements TrainerEvent {}

  record Feedback(TrainerFeedback feedback) implements TrainerEvent {}
}
