package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sieve.avro.TrainerState;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IterativeRefinementPolicyTest {

  private final IterativeRefinementPolicy policy = new IterativeRefinementPolicy();

  /** w ← w·softmax(S), normalised, by hand (no log space). */
  private static double[] handStep(double[] w, double[] s) {
    double z = 0;
    for (double v : s) {
      z += Math.exp(v);
    }
    double[] out = new double[w.length];
    double sum = 0;
    for (int i = 0; i < w.length; i++) {
      out[i] = w[i] * Math.exp(s[i]) / z;
      sum += out[i];
    }
    for (int i = 0; i < w.length; i++) {
      out[i] /= sum;
    }
    return out;
  }

  /** S_k = L_k / mean(L): the relative losses of one round. */
  private static double[] relative(double[] losses) {
    double mean = java.util.Arrays.stream(losses).average().orElseThrow();
    return java.util.Arrays.stream(losses).map(l -> l / mean).toArray();
  }

  private static final Map<String, String> NO_FLOOR = Map.of(IterativeRefinementPolicy.FLOOR, "0");

  @Test
  void shouldConcentrateWeightAsTheMultiplicativeSoftmaxUpdateSaysOverThreeRounds() {
    // Given three clusters, no floor, and three rounds of cluster losses
    TrainerState state = PolicyTestData.state(IterativeRefinementPolicy.NAME, NO_FLOOR);
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(100, 100, 100));
    double[][] rounds = {{2.0, 0.5, 1.0}, {1.5, 0.2, 1.1}, {3.0, 0.1, 0.4}};
    double[] expected = {1.0 / 3, 1.0 / 3, 1.0 / 3};
    for (double[] s : rounds) {
      // When the policy absorbs the round
      policy.onFeedback(
          PolicyTestData.clusterLosses(Map.of(0, s[0], 1, s[1], 2, s[2])), state, context);
      expected = handStep(expected, relative(s));
    }
    // Then its weights equal the hand computation w ∝ w·softmax(S) from w⁰ = 1/3, S relative
    double[] w = IterativeRefinementPolicy.weights(state, new int[] {0, 1, 2});
    assertThat(w[0]).isCloseTo(expected[0], within(1e-12));
    assertThat(w[1]).isCloseTo(expected[1], within(1e-12));
    assertThat(w[2]).isCloseTo(expected[2], within(1e-12));
    assertThat(expected[0]).isGreaterThan(0.85);
  }

  @Test
  void shouldGiveTheSameWeightsWhateverTheUnitsOfTheLoss() {
    // Given two trainers whose losses differ by a factor of 10
    TrainerState small = PolicyTestData.state(IterativeRefinementPolicy.NAME, Map.of());
    TrainerState large = PolicyTestData.state(IterativeRefinementPolicy.NAME, Map.of());
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(100, 100, 100));
    // When both absorb the same rounds
    for (int r = 0; r < 5; r++) {
      policy.onFeedback(
          PolicyTestData.clusterLosses(Map.of(0, 2.0, 1, 0.5, 2, 1.0 + r)), small, context);
      policy.onFeedback(
          PolicyTestData.clusterLosses(Map.of(0, 20.0, 1, 5.0, 2, 10.0 + 10 * r)), large, context);
    }
    // Then their weights agree
    int[] ids = {0, 1, 2};
    double[] a = IterativeRefinementPolicy.weights(small, ids);
    double[] b = IterativeRefinementPolicy.weights(large, ids);
    for (int i = 0; i < 3; i++) {
      assertThat(a[i]).isCloseTo(b[i], within(1e-12));
    }
  }

  @Test
  void shouldKeepEveryWeightAboveTheFloorWhenOneClusterAlwaysHasTheHighestLoss() {
    // Given four clusters and a floor ε = 0.4
    TrainerState state =
        PolicyTestData.state(
            IterativeRefinementPolicy.NAME, Map.of(IterativeRefinementPolicy.FLOOR, "0.4"));
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(500, 500, 500, 500));
    // When cluster 0 reports a loss ten times the others' for 300 rounds
    for (int r = 0; r < 300; r++) {
      policy.onFeedback(
          PolicyTestData.clusterLosses(Map.of(0, 5.0, 1, 0.5, 2, 0.5, 3, 0.5)), state, context);
    }
    // Then no weight falls below ε/K = 0.1, and cluster 0 holds at most 1 − ε + ε/K = 0.7
    double[] w = IterativeRefinementPolicy.weights(state, new int[] {0, 1, 2, 3});
    for (int i = 1; i < 4; i++) {
      assertThat(w[i]).isGreaterThanOrEqualTo(0.1 - 1e-12);
    }
    assertThat(w[0]).isBetween(0.6, 0.7);
    // and the batches give the others about 30 % of the budget, not nothing
    double others = 1 - PolicyTestData.share(policy, state, context.poolSizes(), 50, 40, 0);
    assertThat(others).isBetween(0.25, 0.35);
  }

  @Test
  void shouldMoveWeightToAClusterWhoseLossRisesLaterOnlyWithAFloor() {
    // Given one trainer with the default floor and one without
    TrainerState floored = PolicyTestData.state(IterativeRefinementPolicy.NAME, Map.of());
    TrainerState bare = PolicyTestData.state(IterativeRefinementPolicy.NAME, NO_FLOOR);
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(100, 100, 100));
    // When cluster 0 has the highest loss for 100 rounds, then cluster 1 for 10 rounds
    for (int r = 0; r < 110; r++) {
      Map<Integer, Double> losses =
          r < 100 ? Map.of(0, 3.0, 1, 1.0, 2, 1.0) : Map.of(0, 1.0, 1, 3.0, 2, 1.0);
      policy.onFeedback(PolicyTestData.clusterLosses(losses), floored, context);
      policy.onFeedback(PolicyTestData.clusterLosses(losses), bare, context);
    }
    // Then with the floor cluster 1 now has the largest weight; without it cluster 0 still does
    int[] ids = {0, 1, 2};
    double[] f = IterativeRefinementPolicy.weights(floored, ids);
    double[] b = IterativeRefinementPolicy.weights(bare, ids);
    assertThat(f[1]).isGreaterThan(f[0]);
    assertThat(b[0]).isGreaterThan(0.99);
  }

  @Test
  void shouldRejectAFloorOutsideZeroToOne() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> policy.checkParams(Map.of(IterativeRefinementPolicy.FLOOR, "1.5")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(IterativeRefinementPolicy.FLOOR);
  }

  @Test
  void shouldCarryTheLastScoreOfAClusterMissingFromTheFeedback() {
    // Given a first round with all three clusters, then a round that names only cluster 0
    TrainerState state = PolicyTestData.state(IterativeRefinementPolicy.NAME, NO_FLOOR);
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(100, 100, 100));
    policy.onFeedback(PolicyTestData.clusterLosses(Map.of(0, 1.0, 1, 2.0, 2, 0.0)), state, context);
    policy.onFeedback(PolicyTestData.clusterLosses(Map.of(0, 0.5)), state, context);
    // Then the second round used S = (1, 2, 0): cluster 0's own relative loss, cluster 1 and 2
    // their last scores
    double[] expected =
        handStep(
            handStep(new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0}, new double[] {1, 2, 0}),
            new double[] {1, 2, 0});
    double[] w = IterativeRefinementPolicy.weights(state, new int[] {0, 1, 2});
    assertThat(w[1]).isCloseTo(expected[1], within(1e-12));
    assertThat(w[0]).isCloseTo(expected[0], within(1e-12));
  }

  @Test
  void shouldDrawCountsThatFollowTheWeightsAndNeverExceedAPool() {
    // Given weights concentrated on cluster 0 (no floor), whose pool holds only 4 items
    TrainerState state = PolicyTestData.state(IterativeRefinementPolicy.NAME, NO_FLOOR);
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(4, 100, 100));
    for (int r = 0; r < 5; r++) {
      policy.onFeedback(
          PolicyTestData.clusterLosses(Map.of(0, 5.0, 1, 0.0, 2, 0.0)), state, context);
    }
    // When it draws a batch of 10
    Draw d = policy.draw(state, context, 10, Seeds.mix(1, 2));
    // Then cluster 0 gives all it has and the batch keeps its size
    assertThat(d.perCluster().get(0)).isEqualTo(4);
    assertThat(d.total()).isEqualTo(10);
  }

  @Test
  void shouldMixTowardThePoolsOwnClusterShares() {
    // Given pools of 100 and 300 and a floor of 1 (the mix only)
    TrainerState state =
        PolicyTestData.state(
            IterativeRefinementPolicy.NAME, Map.of(IterativeRefinementPolicy.FLOOR, "1"));
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(100, 300));
    // When one feedback arrives, whatever its losses
    policy.onFeedback(PolicyTestData.clusterLosses(Map.of(0, 5.0, 1, 0.1)), state, context);
    // Then the weights are the pool's shares, as uniform sampling would give
    double[] w = IterativeRefinementPolicy.weights(state, new int[] {0, 1});
    assertThat(w[0]).isCloseTo(0.25, within(1e-12));
    assertThat(w[1]).isCloseTo(0.75, within(1e-12));
  }
}
