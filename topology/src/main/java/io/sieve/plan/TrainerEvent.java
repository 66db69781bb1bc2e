package io.sieve.plan;

import io.sieve.avro.TrainerControl;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;

/**
 * What the planner hears about a trainer: a new spec (null: removed), feedback, or an operator's
 * control.
 */
public sealed interface TrainerEvent
    permits TrainerEvent.SpecChanged, TrainerEvent.Feedback, TrainerEvent.Control {

  record SpecChanged(TrainerSpec spec) implements TrainerEvent {}

  record Feedback(TrainerFeedback feedback) implements TrainerEvent {}

  record Control(TrainerControl control) implements TrainerEvent {}
}
