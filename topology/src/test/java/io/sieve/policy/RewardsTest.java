package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerState;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RewardsTest {

  private static final PlanContext CONTEXT =
      PlanContext.ofSizes(PolicyTestData.sizes(100, 100, 100));

  private static Rewards.Round absorb(
      TrainerFeedback feedback, TrainerState state, Map<String, String> params) {
    PolicyState ps = new PolicyState(state);
    Rewards.Round round = Rewards.absorb(feedback, ps, CONTEXT, params);
    ps.save();
    return round;
  }

  @Test
  void shouldScaleByMedianAndRobustSpreadAndClampOutliers() {
    // Given five values, one of them a thousand times the others
    Map<Integer, Double> raw = Map.of(0, 1.0, 1, 1.1, 2, 0.9, 3, 1.2, 4, 1000.0);
    // When scaled: m = 1.1, s = 1.4826·median(|x − m|) = 1.4826·0.1
    TreeMap<Integer, Double> r = Rewards.scaled(raw);
    double s = 1.4826 * 0.1;
    // Then each is 0.5 + (x − m)/(4s), clamped to [0, 1]: the outlier is winsorised at 1 and does
    // not squash the others towards 0
    assertThat(r.get(0)).isCloseTo(0.5 + (1.0 - 1.1) / (4 * s), within(1e-9));
    assertThat(r.get(2)).isCloseTo(0.5 + (0.9 - 1.1) / (4 * s), within(1e-9));
    assertThat(r.get(1)).isCloseTo(0.5, within(1e-12));
    assertThat(r.get(4)).isEqualTo(1.0);
    assertThat(r.get(2)).isGreaterThan(0.1);
  }

  @Test
  void shouldNotDependOnTheUnitsOfTheValues() {
    Map<Integer, Double> small = Map.of(0, 2.0, 1, 0.5, 2, 1.0, 3, 1.7);
    Map<Integer, Double> large = Map.of(0, 200.0, 1, 50.0, 2, 100.0, 3, 170.0);
    TreeMap<Integer, Double> a = Rewards.scaled(small);
    TreeMap<Integer, Double> b = Rewards.scaled(large);
    for (int k = 0; k < 4; k++) {
      assertThat(a.get(k)).isCloseTo(b.get(k), within(1e-12));
    }
  }

  @Test
  void shouldGiveOneHalfWhenThereIsNoSpread() {
    assertThat(Rewards.scaled(Map.of(0, 3.0, 1, 3.0))).containsEntry(0, 0.5).containsEntry(1, 0.5);
    assertThat(Rewards.scaled(Map.of(7, -2.0))).containsEntry(7, 0.5);
  }

  @Test
  void shouldCloseARoundEveryRoundBatchesWhenTheTrainerSendsNoEvaluation() {
    // Given a round of 3 batches and loss reports only
    TrainerState state = PolicyTestData.state(Exp3Policy.NAME, Map.of());
    Map<String, String> params = Map.of(Rewards.ROUND_BATCHES, "3");
    // When three feedbacks arrive
    Rewards.Round first =
        absorb(PolicyTestData.clusterLosses(Map.of(0, 1.0, 1, 3.0)), state, params);
    Rewards.Round second =
        absorb(PolicyTestData.clusterLosses(Map.of(0, 1.0, 1, 3.0)), state, params);
    Rewards.Round third =
        absorb(PolicyTestData.clusterLosses(Map.of(0, 4.0, 2, 2.0)), state, params);
    // Then only the third closes a round, of the round's mean losses (2, 3, 2) scaled
    assertThat(first).isNull();
    assertThat(second).isNull();
    assertThat(third.kind()).isEqualTo(Rewards.Kind.LOSS);
    assertThat(third.batches()).isEqualTo(3);
    assertThat(third.rewards()).isEqualTo(Rewards.scaled(Map.of(0, 2.0, 1, 3.0, 2, 2.0)));
    // and the next round starts empty
    assertThat(state.getPolicyState()).doesNotContainKey("round.loss.0");
    assertThat(state.getPolicyState().get("round.batches")).isEqualTo(0.0);
  }

  @Test
  void shouldPreferLearnabilityToLoss() {
    TrainerState state = PolicyTestData.state(Exp3Policy.NAME, Map.of());
    Map<String, String> params = Map.of(Rewards.ROUND_BATCHES, "1");
    // Given a feedback with losses that favour cluster 0 and learnability that favours cluster 1
    TrainerFeedback feedback =
        TrainerFeedback.newBuilder(PolicyTestData.clusterLosses(Map.of(0, 5.0, 1, 1.0)))
            .setClusterLearnability(PolicyTestData.keyed(Map.of(0, 0.01, 1, 0.2)))
            .build();
    Rewards.Round round = absorb(feedback, state, params);
    // Then the reward follows learnability
    assertThat(round.kind()).isEqualTo(Rewards.Kind.LEARNABILITY);
    assertThat(round.rewards().get(1)).isGreaterThan(round.rewards().get(0));
  }

  @Test
  void shouldTakeValidationGainPerExampleTrainedAtEachEvaluation() {
    TrainerState state = PolicyTestData.state(Exp3Policy.NAME, Map.of());
    Map<String, String> params = Map.of();
    // Given a first evaluation (the baseline) with losses that would favour cluster 2
    Rewards.Round baseline =
        absorb(
            TrainerFeedback.newBuilder(
                    PolicyTestData.evaluation(0, Map.of(0, 2.0, 1, 2.0, 2, 2.0), Map.of()))
                .setClusterLosses(PolicyTestData.keyed(Map.of(0, 0.1, 1, 0.1, 2, 9.0)))
                .build(),
            state,
            params);
    // (it closes a round, from the losses: no gain is known yet)
    assertThat(baseline.kind()).isEqualTo(Rewards.Kind.LOSS);
    // When batches without evaluation arrive, then the next evaluation
    for (int b = 0; b < 25; b++) {
      assertThat(absorb(PolicyTestData.clusterLosses(Map.of(2, 9.0)), state, params)).isNull();
    }
    Rewards.Round round =
        absorb(
            PolicyTestData.evaluation(
                1, Map.of(0, 1.0, 1, 1.9, 2, 2.0), Map.of(0, 100L, 1, 10L, 2, 50L)),
            state,
            params);
    // Then the rewards are the drops per example trained: (0.01, 0.01, 0), scaled
    assertThat(round.kind()).isEqualTo(Rewards.Kind.VALIDATION_GAIN);
    assertThat(round.batches()).isEqualTo(26);
    assertThat(round.rewards())
        .isEqualTo(Rewards.scaled(Map.of(0, (2.0 - 1.0) / 100, 1, (2.0 - 1.9) / 10, 2, 0.0)));
    assertThat(round.rewards().get(0)).isGreaterThan(round.rewards().get(2));
    // and a repeated evaluation round is ignored
    assertThat(absorb(PolicyTestData.evaluation(1, Map.of(0, 0.1), Map.of(0, 1L)), state, params))
        .isNull();
  }

  @Test
  void shouldNotRewardAClusterThatWasNotTrainedOn() {
    TrainerState state = PolicyTestData.state(Exp3Policy.NAME, Map.of());
    absorb(PolicyTestData.evaluation(0, Map.of(0, 2.0, 1, 2.0), Map.of()), state, Map.of());
    Rewards.Round round =
        absorb(
            PolicyTestData.evaluation(1, Map.of(0, 1.5, 1, 1.0), Map.of(0, 20L)), state, Map.of());
    assertThat(round.rewards()).containsOnlyKeys(0);
  }

  @Test
  void shouldCloseAStalledRoundAfterFourTimesTheRoundBatches() {
    // Given a trainer that sent one evaluation, then stopped, and a round of 2 batches
    TrainerState state = PolicyTestData.state(Exp3Policy.NAME, Map.of());
    Map<String, String> params = Map.of(Rewards.ROUND_BATCHES, "2");
    absorb(PolicyTestData.evaluation(0, Map.of(0, 2.0), Map.of()), state, params);
    // When loss reports come in
    int closedAt = -1;
    for (int b = 1; b <= 10 && closedAt < 0; b++) {
      if (absorb(PolicyTestData.clusterLosses(Map.of(0, 1.0, 1, 2.0)), state, params) != null) {
        closedAt = b;
      }
    }
    // Then the round closes after 4 × 2 batches, not 2
    assertThat(closedAt).isEqualTo(Rewards.STALL_FACTOR * 2);
  }

  @Test
  void shouldTakeLearnabilityOverValidationGainWhenPinned() {
    TrainerState state = PolicyTestData.state(IterativeRefinementPolicy.NAME, Map.of());
    Map<String, String> params = Map.of(Rewards.REWARD, "learnability");
    // Given a baseline evaluation, then one whose validation gain favours cluster 0 and whose
    // learnability favours cluster 1
    absorb(PolicyTestData.evaluation(0, Map.of(0, 2.0, 1, 2.0), Map.of()), state, params);
    TrainerFeedback feedback =
        TrainerFeedback.newBuilder(
                PolicyTestData.evaluation(1, Map.of(0, 1.0, 1, 2.0), Map.of(0, 10L, 1, 10L)))
            .setClusterLearnability(PolicyTestData.keyed(Map.of(0, 0.01, 1, 0.3)))
            .build();
    // When the pinned trainer absorbs it
    Rewards.Round round = absorb(feedback, state, params);
    // Then the round's rewards come from learnability
    assertThat(round.kind()).isEqualTo(Rewards.Kind.LEARNABILITY);
    assertThat(round.rewards().get(1)).isGreaterThan(round.rewards().get(0));
  }

  @Test
  void shouldNotFallBackToLossWhenThePinnedSignalIsMissing() {
    TrainerState state = PolicyTestData.state(IterativeRefinementPolicy.NAME, Map.of());
    Map<String, String> params = Map.of(Rewards.REWARD, "learnability", Rewards.ROUND_BATCHES, "2");
    // Given two batches that report losses only
    assertThat(absorb(PolicyTestData.clusterLosses(Map.of(0, 5.0, 1, 1.0)), state, params))
        .isNull();
    // When the second closes the round
    Rewards.Round round =
        absorb(PolicyTestData.clusterLosses(Map.of(0, 5.0, 1, 1.0)), state, params);
    // Then it carries no reward, and the next round starts empty
    assertThat(round).isNull();
    assertThat(state.getPolicyState()).doesNotContainKey("round.loss.0");
    assertThat(state.getPolicyState().get("round.closed")).isEqualTo(1.0);
  }

  @Test
  void shouldRefuseAnUnknownRewardKind() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> Rewards.checkParams(Map.of(Rewards.REWARD, "accuracy")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Rewards.REWARD);
    assertThat(Rewards.pinned(Map.of())).isNull();
    assertThat(Rewards.pinned(Map.of(Rewards.REWARD, "loss"))).isEqualTo(Rewards.Kind.LOSS);
  }
}
