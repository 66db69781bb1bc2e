package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sieve.avro.TrainerState;
import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;

class Exp3PolicyTest {

  private final Exp3Policy policy = new Exp3Policy();

  @Test
  void shouldUseTheExplorationRateOfThePaper() {
    // ε_t = min(1/K, sqrt(ln K / (K·t))); ε_0 = 1/K
    assertThat(Exp3Policy.epsilon(4, 0)).isEqualTo(0.25);
    assertThat(Exp3Policy.epsilon(4, 1)).isEqualTo(0.25);
    assertThat(Exp3Policy.epsilon(4, 100)).isCloseTo(Math.sqrt(Math.log(4) / 400), within(1e-15));
    assertThat(Exp3Policy.epsilon(1, 5)).isEqualTo(0.0);
  }

  @Test
  void shouldMixTheSoftmaxFromTheNaturalMixWithExplorationOnTheNaturalMix() {
    // Given R̂ = (10, 0, 0) after 33 rounds of K = 3 (t = 99), and a natural mix q = (.5, .3, .2)
    TrainerState state = PolicyTestData.state(Exp3Policy.NAME, Map.of());
    state.setPolicyState(Map.of("R.0", 10.0, "t", 99.0, "rounds", 33.0));
    double[] q = {0.5, 0.3, 0.2};
    // When π is computed for the next round, t = 102
    double[] pi = Exp3Policy.probabilities(state, new int[] {0, 1, 2}, q);
    // Then π_k = (1 − Kε_t)·softmax(log q + ε_{t−K}·R̂)_k + Kε_t·q_k
    double eps = Math.sqrt(Math.log(3) / (3 * 102));
    double epsPrev = Math.sqrt(Math.log(3) / (3 * 99));
    double z = 0.5 * Math.exp(epsPrev * 10) + 0.3 + 0.2;
    assertThat(pi[0])
        .isCloseTo((1 - 3 * eps) * 0.5 * Math.exp(epsPrev * 10) / z + 3 * eps * 0.5, within(1e-12));
    assertThat(pi[1]).isCloseTo((1 - 3 * eps) * 0.3 / z + 3 * eps * 0.3, within(1e-12));
    assertThat(pi[0] + pi[1] + pi[2]).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void shouldNotOverflowWithHugeRewards() {
    TrainerState state = PolicyTestData.state(Exp3Policy.NAME, Map.of());
    state.setPolicyState(Map.of("R.0", 1e308, "R.1", 1e300, "t", 100.0, "rounds", 50.0));
    double[] pi = Exp3Policy.probabilities(state, new int[] {0, 1}, new double[] {0.5, 0.5});
    assertThat(pi[0]).isFinite();
    assertThat(pi[0] + pi[1]).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void shouldStartFromTheNaturalMixNotRoundRobin() {
    // Given a skewed pool and no feedback yet
    TrainerState state = PolicyTestData.state(Exp3Policy.NAME, Map.of());
    SortedMap<Integer, Long> sizes = PolicyTestData.sizes(700, 200, 100);
    // Then π is the pool's own mix
    double[] pi =
        Exp3Policy.probabilities(
            state, new int[] {0, 1, 2}, Exp3Policy.naturalMix(sizes, new int[] {0, 1, 2}));
    assertThat(pi).containsExactly(new double[] {0.7, 0.2, 0.1}, within(1e-12));
    assertThat(PolicyTestData.share(policy, state, sizes, 50, 40, 0)).isCloseTo(0.7, within(0.05));
  }

  @Test
  void shouldHoldTheNaturalMixThroughTheWarmUpThenMove() {
    // Given a skewed pool, a warm-up of 3 rounds, rounds of 2 batches, and learnability that
    // favours the smallest cluster
    TrainerState state =
        PolicyTestData.state(
            Exp3Policy.NAME, Map.of(Exp3Policy.WARMUP, "3", Rewards.ROUND_BATCHES, "2"));
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(700, 200, 100));
    int[] ids = {0, 1, 2};
    double[] q = Exp3Policy.naturalMix(context.poolSizes(), ids);
    for (int batch = 0; batch < 6; batch++) {
      // When the batches of the first three rounds are planned, π is the natural mix throughout
      assertThat(Exp3Policy.probabilities(state, ids, q)).containsExactly(q, within(1e-12));
      policy.draw(state, context, 20, Seeds.mix(5, batch));
      policy.onFeedback(
          PolicyTestData.clusterLearnability(Map.of(0, 0.0, 1, 0.05, 2, 0.5)), state, context);
    }
    assertThat(state.getPolicyState().get("rounds")).isEqualTo(3.0);
    // and once the warm-up is over, the smallest cluster gains
    for (int batch = 6; batch < 30; batch++) {
      policy.draw(state, context, 20, Seeds.mix(5, batch));
      policy.onFeedback(
          PolicyTestData.clusterLearnability(Map.of(0, 0.0, 1, 0.05, 2, 0.5)), state, context);
    }
    double[] pi = Exp3Policy.probabilities(state, ids, q);
    assertThat(pi[2]).isGreaterThan(0.2);
    assertThat(pi[0]).isLessThan(0.7);
  }

  @Test
  void shouldCountRoundsNotBatches() {
    // Given rounds of 10 batches
    TrainerState state = PolicyTestData.state(Exp3Policy.NAME, Map.of(Rewards.ROUND_BATCHES, "10"));
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(100, 100, 100));
    // When nine batches are acknowledged, t and R̂ stay untouched
    for (int b = 0; b < 9; b++) {
      policy.draw(state, context, 10, Seeds.mix(1, b));
      policy.onFeedback(
          PolicyTestData.clusterLosses(Map.of(0, 1.0, 1, 2.0, 2, 3.0)), state, context);
    }
    assertThat(state.getPolicyState()).doesNotContainKeys("t", "R.0");
    // Then the tenth closes one round: t grows by K = 3, once
    policy.draw(state, context, 10, Seeds.mix(1, 9));
    policy.onFeedback(PolicyTestData.clusterLosses(Map.of(0, 1.0, 1, 2.0, 2, 3.0)), state, context);
    assertThat(state.getPolicyState()).containsEntry("t", 3.0).containsEntry("rounds", 1.0);
    // with R̂_k += K·r_k / P_k, P_k = 1 − (1 − π_k)^m the chance k was seen in the round's m = 100
    double p = 1 - Math.pow(1 - 1 / 3.0, 100);
    Map<Integer, Double> r = Rewards.scaled(Map.of(0, 1.0, 1, 2.0, 2, 3.0));
    assertThat(state.getPolicyState().get("R.2")).isCloseTo(3 * r.get(2) / p, within(1e-9));
    assertThat(state.getPolicyState().get("R.1")).isCloseTo(3 * 0.5 / p, within(1e-9));
  }

  @Test
  void shouldShiftShareTowardTheClusterWithTheHigherRewardWithinTwentyRounds() {
    // Given three equal clusters and cluster 2 the most learnable
    TrainerState state = PolicyTestData.state(Exp3Policy.NAME, PolicyTestData.perBatch(Map.of()));
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(1000, 1000, 1000));
    double before = PolicyTestData.share(policy, state, context.poolSizes(), 30, 20, 2);
    // When twenty rounds of feedback come in, each after a plan
    for (int r = 0; r < 20; r++) {
      policy.draw(state, context, 30, Seeds.mix(5, r));
      policy.onFeedback(
          PolicyTestData.clusterLearnability(Map.of(0, 0.1, 1, 0.1, 2, 0.3)), state, context);
    }
    // Then cluster 2 gets more than half, up from a third
    double after = PolicyTestData.share(policy, state, context.poolSizes(), 30, 20, 2);
    assertThat(before).isCloseTo(1 / 3.0, within(0.06));
    assertThat(after).isGreaterThan(0.5);
  }
}
