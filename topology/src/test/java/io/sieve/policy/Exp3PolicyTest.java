package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sieve.avro.TrainerState;
import java.util.Map;
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
  void shouldMixSoftmaxAndUniformAsTheFormulaSays() {
    // Given R̂ = (10, 0, 0) after t−1 = 99 rounds
    TrainerState state = PolicyTestData.state(Exp3Policy.NAME, Map.of());
    state.setPolicyState(Map.of("R.0", 10.0, "t", 99.0));
    // When π is computed for t = 100
    double[] pi = Exp3Policy.probabilities(state, new int[] {0, 1, 2});
    // Then π_k = (1 − Kε_t)·softmax(ε_{t−1}·R̂)_k + ε_t
    double eps = Math.sqrt(Math.log(3) / 300);
    double epsPrev = Math.sqrt(Math.log(3) / 297);
    double z = Math.exp(epsPrev * 10) + 2;
    assertThat(pi[0]).isCloseTo((1 - 3 * eps) * Math.exp(epsPrev * 10) / z + eps, within(1e-12));
    assertThat(pi[1]).isCloseTo((1 - 3 * eps) / z + eps, within(1e-12));
    assertThat(pi[0] + pi[1] + pi[2]).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void shouldNotOverflowWithHugeRewards() {
    TrainerState state = PolicyTestData.state(Exp3Policy.NAME, Map.of());
    state.setPolicyState(Map.of("R.0", 1e308, "R.1", 1e300, "t", 10.0));
    double[] pi = Exp3Policy.probabilities(state, new int[] {0, 1});
    assertThat(pi[0]).isFinite();
    assertThat(pi[0] + pi[1]).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void shouldShiftShareTowardTheClusterWithTheHigherLossWithinTwentyRounds() {
    // Given three equal clusters, cluster 2 with a loss of 3 and the others 1
    TrainerState state = PolicyTestData.state(Exp3Policy.NAME, Map.of());
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(1000, 1000, 1000));
    double before = PolicyTestData.share(policy, state, context.poolSizes(), 30, 20, 2);
    // When twenty rounds of feedback come in, each after a plan
    for (int r = 0; r < 20; r++) {
      policy.draw(state, context, 30, Seeds.mix(5, r));
      policy.onFeedback(
          PolicyTestData.clusterLosses(Map.of(0, 1.0, 1, 1.0, 2, 3.0)), state, context);
    }
    // Then cluster 2 gets more than half, up from a third
    double after = PolicyTestData.share(policy, state, context.poolSizes(), 30, 20, 2);
    assertThat(before).isCloseTo(1 / 3.0, within(0.06));
    assertThat(after).isGreaterThan(0.5);
  }
}
