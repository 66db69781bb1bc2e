package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.TrainerState;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CoveragePolicyTest {

  private final CoveragePolicy policy = new CoveragePolicy();

  @Test
  void shouldSplitABatchInProportionToWhatSurvivesPruning() {
    // Given pools of 300 and 100 and no pruning
    TrainerState state =
        PolicyTestData.state(CoveragePolicy.NAME, Map.of(CoveragePolicy.BETA, "0"));
    Draw d = policy.draw(state, PlanContext.ofSizes(PolicyTestData.sizes(300, 100)), 40, 9L);
    // Then the parts follow the sizes, as CCS over the whole data set would, not an equal split
    assertThat(d.counts()).containsEntry(0, 30).containsEntry(1, 10);
    assertThat(d.strategy()).isEqualTo(CoveragePolicy.STRATEGY);
  }

  @Test
  void shouldGiveEachClusterARoundBudgetAndAnOffsetThatStartsOverEachRound() {
    // Given rounds of 3 batches
    TrainerState state =
        PolicyTestData.state(
            CoveragePolicy.NAME, Map.of(CoveragePolicy.BETA, "0", Rewards.ROUND_BATCHES, "3"));
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(300, 100));
    double[] offsets = new double[4];
    double[] seeds = new double[4];
    for (int b = 0; b < 4; b++) {
      // When four batches are planned
      Draw d = policy.draw(state, context, 40, Seeds.mix(2, b));
      Map<String, Double> mine = CoveragePolicy.paramsFor(d.strategyParams(), 0);
      // Then cluster 0's budget is the round's, 3 × 30
      assertThat(mine).containsEntry(CoveragePolicy.BUDGET_KEY, 90.0);
      offsets[b] = mine.get(CoveragePolicy.OFFSET_KEY);
      seeds[b] = mine.get(CoveragePolicy.ROUND_SEED_KEY);
    }
    // and each batch of a round takes the next part of it, from 0 again in the next round, whose
    // selection has a seed of its own
    assertThat(offsets).containsExactly(0, 30, 60, 0);
    assertThat(seeds[1]).isEqualTo(seeds[0]);
    assertThat(seeds[3]).isNotEqualTo(seeds[0]);
  }
}
