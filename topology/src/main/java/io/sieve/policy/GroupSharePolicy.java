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

  /** Refuses group targets or minimums in {@code params}: such a policy sets the shares itself. */
  static void refuseGroupTargets(String policy, java.util.Map<String, String> params) {
    if (GroupQuotas.parse(params) != null) {
      throw new IllegalArgumentException(
          policy
              + " sets the group shares itself; drop "
              + GroupQuotas.TARGETS
              + " / "
              + GroupQuotas.MINIMUM);
    }
  }

  @Override
  default Draw draw(
      TrainerState state, SortedMap<Integer, Long> poolSizes, int batchSize, long batchSeed) {
    return draw(state, PlanContext.ofSizes(poolSizes), batchSize, batchSeed);
  }
}
