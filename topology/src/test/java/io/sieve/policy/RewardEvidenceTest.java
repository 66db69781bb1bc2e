package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sieve.avro.TrainerState;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RewardEvidenceTest {

  private static PolicyState fresh() {
    TrainerState state = PolicyTestData.state(IterativeRefinementPolicy.NAME, Map.of());
    return new PolicyState(state);
  }

  @Test
  void shouldPassAConsistentDifferenceWholeOnceTheRoundsShowNoNoise() {
    // Given two clusters whose rewards are 0.8 and 0.2 in every round
    PolicyState ps = fresh();
    Map<Integer, Double> rewards = Map.of(0, 0.8, 1, 0.2);
    // When the first round arrives, its spread is all the evidence of noise there is: held back
    TreeMap<Integer, Double> first =
        RewardEvidence.update(ps, rewards, Set.of(0, 1), 10, 2, Rewards.Kind.LEARNABILITY);
    assertThat(first.get(0)).isCloseTo(0.5, within(1e-12));
    // Then from the second round on the rounds agree (no noise), so the difference passes whole
    TreeMap<Integer, Double> second =
        RewardEvidence.update(ps, rewards, Set.of(0, 1), 10, 2, Rewards.Kind.LEARNABILITY);
    assertThat(second.get(0)).isCloseTo(0.8, within(1e-9));
    assertThat(second.get(1)).isCloseTo(0.2, within(1e-9));
  }

  @Test
  void shouldStartOverWhenTheRewardsComeFromAnotherKind() {
    // Given evidence from two rounds of losses favouring cluster 0
    PolicyState ps = fresh();
    for (int r = 0; r < 2; r++) {
      RewardEvidence.update(ps, Map.of(0, 0.9, 1, 0.1), Set.of(0, 1), 10, 0, Rewards.Kind.LOSS);
    }
    // When a round of validation gains favours cluster 1
    TreeMap<Integer, Double> out =
        RewardEvidence.update(
            ps, Map.of(0, 0.3, 1, 0.7), Set.of(0, 1), 10, 0, Rewards.Kind.VALIDATION_GAIN);
    // Then only the gains count: the losses' evidence is gone
    assertThat(out.get(1)).isCloseTo(0.7, within(1e-12));
    assertThat(out.get(0)).isCloseTo(0.3, within(1e-12));
  }

  @Test
  void shouldForgetClustersThatLeftThePoolAndKeepThoseARoundDidNotReport() {
    // Given evidence for clusters 0, 1 and 2
    PolicyState ps = fresh();
    RewardEvidence.update(
        ps, Map.of(0, 0.9, 1, 0.5, 2, 0.1), Set.of(0, 1, 2), 1, 0, Rewards.Kind.LEARNABILITY);
    // When cluster 2 has left the pool and a round reports cluster 1 only
    TreeMap<Integer, Double> out =
        RewardEvidence.update(ps, Map.of(1, 0.5), Set.of(0, 1), 1, 0, Rewards.Kind.LEARNABILITY);
    // Then cluster 2's evidence is dropped and cluster 0 keeps its last reward's lead
    assertThat(ps.has(PolicyState.key("ev.w", 2))).isFalse();
    assertThat(out).doesNotContainKey(2);
    assertThat(out.get(0) - out.get(1)).isCloseTo(0.4, within(1e-12));
  }
}
