package io.sieve.policy;

import io.sieve.avro.TrainerState;
import java.util.SortedMap;

/**
 * A policy that sets each batch's shares over the values of a group attribute ({@code equitable},
 * {@code group-refinement}, {@code stratified}, {@code label-balanced}): it needs the pool's group
 * counts, so it draws from the full {@link PlanContext}, and pool sizes alone are a context without
 * group counts (uniform's own draw).
 */
interface GroupSharePolicy extends SelectionPolicy {

  @Override
  Draw draw(TrainerState state, PlanContext context, int batchSize, long batchSeed);

  @Override
  default Draw draw(
      TrainerState state, SortedMap<Integer, Long> poolSizes, int batchSize, long batchSeed) {
    return draw(state, PlanContext.ofSizes(poolSizes), batchSize, batchSeed);
  }
}
