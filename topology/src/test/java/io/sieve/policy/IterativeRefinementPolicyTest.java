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

  @Test
  void shouldConcentrateWeightAsTheMultiplicativeSoftmaxUpdateSaysOverThreeRounds() {
    // Given three clusters and three rounds of cluster losses
    TrainerState state = PolicyTestData.state(IterativeRefinementPolicy.NAME, Map.of());
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(100, 100, 100));
    double[][] rounds = {{2.0, 0.5, 1.0}, {1.5, 0.2, 1.1}, {3.0, 0.1, 0.4}};
    double[] expected = {1.0 / 3, 1.0 / 3, 1.0 / 3};
    for (double[] s : rounds) {
      // When the policy absorbs the round
      policy.onFeedback(
          PolicyTestData.clusterLosses(Map.of(0, s[0], 1, s[1], 2, s[2])), state, context);
      expected = handStep(expected, s);
    }
    // Then its weights equal the hand computation w ∝ w·softmax(S) from w⁰ = 1/3
    double[] w = IterativeRefinementPolicy.weights(state, new int[] {0, 1, 2});
    assertThat(w[0]).isCloseTo(expected[0], within(1e-12));
    assertThat(w[1]).isCloseTo(expected[1], within(1e-12));
    assertThat(w[2]).isCloseTo(expected[2], within(1e-12));
    // hand figures: after round 1, w = softmax(S¹) = (0.6285, 0.1402, 0.2312)
    assertThat(expected[0]).isGreaterThan(0.85);
  }

  @Test
  void shouldCarryTheLastScoreOfAClusterMissingFromTheFeedback() {
    // Given a first round with all three clusters, then a round that names only cluster 0
    TrainerState state = PolicyTestData.state(IterativeRefinementPolicy.NAME, Map.of());
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(100, 100, 100));
    policy.onFeedback(PolicyTestData.clusterLosses(Map.of(0, 1.0, 1, 2.0, 2, 0.0)), state, context);
    policy.onFeedback(PolicyTestData.clusterLosses(Map.of(0, 0.0)), state, context);
    // Then the second round used S = (0, 2, 0): cluster 1 keeps its score
    double[] expected =
        handStep(
            handStep(new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0}, new double[] {1, 2, 0}),
            new double[] {0, 2, 0});
    double[] w = IterativeRefinementPolicy.weights(state, new int[] {0, 1, 2});
    assertThat(w[1]).isCloseTo(expected[1], within(1e-12));
    assertThat(w[0]).isCloseTo(expected[0], within(1e-12));
  }

  @Test
  void shouldDrawCountsThatFollowTheWeightsAndNeverExceedAPool() {
    // Given weights concentrated on cluster 0, whose pool holds only 4 items
    TrainerState state = PolicyTestData.state(IterativeRefinementPolicy.NAME, Map.of());
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
}
