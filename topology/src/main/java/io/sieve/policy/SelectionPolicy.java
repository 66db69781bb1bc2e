package io.sieve.policy;

import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerState;
import java.util.Map;
import java.util.SortedMap;

/**
 * A way of choosing a batch. A policy reads the pool sizes per cluster, draws slots through the
 * trainer's {@link Cursors} (which guarantee no repeat within a cycle) or asks the pool to choose
 * (see {@link Draw#counts()}), and keeps its own numbers in {@link
 * io.sieve.avro.TrainerState#getPolicyState()} (the planner bumps the state version when they
 * change).
 *
 * <p>Policies are stateless singletons: everything a trainer's policy knows lives in its {@code
 * TrainerState}, so a restart or a moved task resumes exactly.
 */
public interface SelectionPolicy {

  String name();

  /**
   * Chooses {@code batchSize} slots. {@code poolSizes} maps cluster id to pooled examples (only
   * clusters with items); their sum is at least {@code batchSize}.
   */
  Draw draw(TrainerState state, SortedMap<Integer, Long> poolSizes, int batchSize, long batchSeed);

  /**
   * Chooses a batch with the full context; by default {@link #draw(TrainerState, SortedMap, int,
   * long)} over the pool sizes.
   */
  default Draw draw(TrainerState state, PlanContext context, int batchSize, long batchSeed) {
    return draw(state, context.poolSizes(), batchSize, batchSeed);
  }

  /**
   * Absorbs a trainer's feedback on a batch it acknowledged, updating {@code
   * state.getPolicyState()}. Called by the planner after the credit is returned and before it plans
   * again. The default ignores feedback.
   */
  default void onFeedback(TrainerFeedback feedback, TrainerState state, PlanContext context) {}

  /**
   * Whether the trainer's feedback shapes this policy's later batches (through {@link #onFeedback}
   * or the scores its losses leave in the pool). The planner stages fewer batches ahead for such a
   * policy, since feedback first shapes batch n + window + stage. The default: no.
   */
  default boolean steeredByFeedback() {
    return false;
  }

  /**
   * The expected share of a batch per cluster under this policy, for the draw just made from {@code
   * state} (after {@link #draw}); the sampling weights of the batch's examples are the pool shares
   * over these ({@link SamplingWeights}). The default, null, takes the draw's own counts.
   */
  default Map<Integer, Double> batchShares(TrainerState state, PlanContext context, Draw draw) {
    return null;
  }

  /**
   * Checks the policy's parameters when a spec arrives; throws {@link IllegalArgumentException}
   * with the reason. The default accepts anything.
   */
  default void checkParams(Map<String, String> params) {}
}
