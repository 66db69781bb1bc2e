package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sieve.avro.TrainerState;
import io.sieve.cluster.Centroids;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UcbPolicyTest {

  private final UcbPolicy policy = new UcbPolicy();

  /** Quad's own choice: no floor, no evidence gate. */
  private static Map<String, String> quad(Map<String, String> params) {
    Map<String, String> p = new java.util.HashMap<>(params);
    p.put(UcbPolicy.FLOOR, "0");
    p.put(UcbPolicy.EVIDENCE, "0");
    return p;
  }

  @Test
  void shouldScoreClustersByMeanRewardPlusABonusInUnitsOfTheRewardsSpread() {
    // Given cluster 0 with a mean reward of 0.2 over 3 rounds, rewards with standard deviation
    // sqrt(0.18 / 9) so far, and cluster 1 never rewarded
    TrainerState state = PolicyTestData.state(UcbPolicy.NAME, Map.of());
    state.setPolicyState(
        Map.of("sum.0", 0.6, "n.0", 3.0, "T", 10.0, "rN", 10.0, "rMean", 0.3, "rM2", 0.18));
    double[] cs = UcbPolicy.scores(state, new int[] {0, 1}, 0.5);
    // Then CS_k = R̄_k + α·σ·sqrt(2 ln T / (T_k + 1)), an unrewarded cluster's mean the mean of all
    double sigma = Math.sqrt(0.18 / 9);
    assertThat(cs[0]).isCloseTo(0.2 + 0.5 * sigma * Math.sqrt(2 * Math.log(10) / 4), within(1e-12));
    assertThat(cs[1]).isCloseTo(0.3 + 0.5 * sigma * Math.sqrt(2 * Math.log(10) / 1), within(1e-12));
  }

  @Test
  void shouldNotRoundRobinWhenTheRewardsAreTiny() {
    // Given five equal clusters, one chosen per batch beyond no floor, and rewards in [0, 0.01]:
    // cluster 3 always near 0.01, the others at most 0.004
    TrainerState state =
        PolicyTestData.state(UcbPolicy.NAME, quad(Map.of(UcbPolicy.CLUSTERS, "1")));
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(500, 500, 500, 500, 500));
    java.util.Random noise = new java.util.Random(3);
    int topIsThree = 0;
    java.util.Set<Integer> chosen = new java.util.HashSet<>();
    for (int r = 0; r < 60; r++) {
      Draw d = policy.draw(state, context, 20, Seeds.mix(8, r));
      // the first rounds see every cluster once: the rewards of a trainer that trained on all
      Map<Integer, Double> rewards = new java.util.TreeMap<>();
      for (int k = 0; k < 5; k++) {
        if (r < 2 || d.perCluster().containsKey(k)) {
          rewards.put(k, k == 3 ? 0.009 + 0.001 * noise.nextDouble() : 0.004 * noise.nextDouble());
        }
      }
      PolicyState ps = new PolicyState(state);
      UcbPolicy.absorb(ps, rewards, context, 0);
      ps.save();
      if (r >= 10) {
        topIsThree += d.perCluster().getOrDefault(3, 0) == 20 ? 1 : 0;
        chosen.addAll(d.perCluster().keySet());
      }
    }
    int distinct = chosen.size();
    // Then after a few rounds cluster 3 takes the batch nearly every time: the bonus, on the
    // rewards' own scale, does not rotate through the clusters
    assertThat(topIsThree).isGreaterThanOrEqualTo(45);
    assertThat(distinct).isLessThan(5);
  }

  @Test
  void shouldScoreTheSameWhateverTheUnitsOfTheLoss() {
    // Given two trainers whose losses differ by a factor of 100
    TrainerState small = PolicyTestData.state(UcbPolicy.NAME, PolicyTestData.perBatch(Map.of()));
    TrainerState large = PolicyTestData.state(UcbPolicy.NAME, PolicyTestData.perBatch(Map.of()));
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(10, 10, 10));
    // When both absorb the same rounds
    for (int r = 0; r < 4; r++) {
      policy.onFeedback(PolicyTestData.clusterLosses(Map.of(0, 2.0, 1, 0.5 + r)), small, context);
      policy.onFeedback(
          PolicyTestData.clusterLosses(Map.of(0, 200.0, 1, 50.0 + 100 * r)), large, context);
    }
    // Then their scores agree
    int[] ids = {0, 1, 2};
    double[] a = UcbPolicy.scores(small, ids, 1);
    double[] b = UcbPolicy.scores(large, ids, 1);
    for (int i = 0; i < 3; i++) {
      assertThat(a[i]).isCloseTo(b[i], within(1e-12));
    }
  }

  @Test
  void shouldNotGiveTheWholeBudgetToAClusterWithConstantHighLoss() {
    // Given four equal clusters, one chosen per batch beyond a floor ε = 0.5
    TrainerState state =
        PolicyTestData.state(
            UcbPolicy.NAME,
            PolicyTestData.perBatch(Map.of(UcbPolicy.CLUSTERS, "1", UcbPolicy.FLOOR, "0.5")));
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(5000, 5000, 5000, 5000));
    // When fifty rounds report a loss of 5 on cluster 0 and 0.5 on the others it drew
    for (int r = 0; r < 50; r++) {
      Draw d = policy.draw(state, context, 40, Seeds.mix(5, r));
      Map<Integer, Double> losses = new java.util.TreeMap<>();
      d.perCluster().keySet().forEach(k -> losses.put(k, k == 0 ? 5.0 : 0.5));
      policy.onFeedback(PolicyTestData.clusterLosses(losses), state, context);
    }
    // Then every cluster still gets at least its floor share ε/K = 1/8 of each batch
    for (int k = 1; k < 4; k++) {
      assertThat(PolicyTestData.share(policy, state, context.poolSizes(), 40, 10, k))
          .isGreaterThanOrEqualTo(0.125);
    }
    assertThat(PolicyTestData.share(policy, state, context.poolSizes(), 40, 10, 0))
        .isLessThanOrEqualTo(0.625);
  }

  @Test
  void shouldRejectAFloorOutsideZeroToOne() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> policy.checkParams(Map.of(UcbPolicy.FLOOR, "-0.1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(UcbPolicy.FLOOR);
  }

  @Test
  void shouldNudgeNeighboursWithinDeltaByDistance() {
    // Given clusters 0 and 1 at cosine distance 0.1, cluster 2 far away, δ = 0.2
    float a = (float) Math.sqrt(1 - 0.9 * 0.9);
    Centroids centres = new Centroids(2, new int[] {0, 1, 2}, new float[] {1, 0, 0.9f, a, -1, 0});
    PlanContext context = new PlanContext(PolicyTestData.sizes(10, 10, 10), Map.of(), centres);
    TrainerState state = PolicyTestData.state(UcbPolicy.NAME, Map.of(UcbPolicy.DELTA, "0.2"));
    // When cluster 0 earns a reward of 2
    PolicyState ps = new PolicyState(state);
    UcbPolicy.absorb(ps, Map.of(0, 2.0), context, 0.2);
    ps.save();
    // Then cluster 1 gets r·(1 − d/δ) = 2·0.5 and a count, cluster 2 nothing
    Map<String, Double> s = state.getPolicyState();
    assertThat(s.get("sum.0")).isEqualTo(2.0);
    assertThat(s.get("sum.1")).isCloseTo(1.0, within(1e-6));
    assertThat(s.get("n.1")).isEqualTo(1.0);
    assertThat(s).doesNotContainKey("sum.2");
    assertThat(s.get("T")).isEqualTo(1.0);
  }

  @Test
  void shouldShiftShareTowardTheClusterWithTheHigherRewardWithinTenRounds() {
    // Given three equal clusters, two chosen per batch, no floor, and cluster 1 with the higher
    // loss
    TrainerState state =
        PolicyTestData.state(
            UcbPolicy.NAME, PolicyTestData.perBatch(quad(Map.of(UcbPolicy.CLUSTERS, "2"))));
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(500, 500, 500));
    // When ten rounds of feedback report the clusters each batch drew
    for (int r = 0; r < 10; r++) {
      Draw d = policy.draw(state, context, 20, Seeds.mix(3, r));
      Map<Integer, Double> losses = new java.util.TreeMap<>();
      d.perCluster().keySet().forEach(k -> losses.put(k, k == 1 ? 3.0 : 0.5));
      policy.onFeedback(PolicyTestData.clusterLosses(losses), state, context);
    }
    // Then cluster 1 is always among the two chosen: half of every batch
    double after = PolicyTestData.share(policy, state, context.poolSizes(), 20, 10, 1);
    assertThat(after).isEqualTo(0.5);
  }

  @Test
  void shouldSkipAnEmptyClusterAndKeepTheBatchWhole() {
    TrainerState state =
        PolicyTestData.state(UcbPolicy.NAME, quad(Map.of(UcbPolicy.CLUSTERS, "1")));
    state.setPolicyState(Map.of("sum.0", 1.0, "n.0", 1.0, "T", 1.0, "rN", 2.0, "rMean", 0.5));
    // Given the top cluster holds only 3 items, and no floor
    Draw d = policy.draw(state, PlanContext.ofSizes(PolicyTestData.sizes(3, 50, 50)), 10, 42L);
    // Then the next clusters by score make up the batch
    assertThat(d.perCluster().get(0)).isEqualTo(3);
    assertThat(d.total()).isEqualTo(10);
  }

  @Test
  void shouldSplitTheFloorInProportionToThePools() {
    // Given pools of 100 and 300 and a floor of the whole batch
    TrainerState state = PolicyTestData.state(UcbPolicy.NAME, Map.of(UcbPolicy.FLOOR, "1"));
    state.setPolicyState(Map.of("sum.0", 1.0, "n.0", 1.0, "T", 1.0, "rN", 2.0, "rMean", 0.5));
    // When a batch of 40 is drawn
    Draw d = policy.draw(state, PlanContext.ofSizes(PolicyTestData.sizes(100, 300)), 40, 42L);
    // Then it is split 1:3, as uniform sampling would split it, whatever the scores
    assertThat(d.perCluster()).containsEntry(0, 10).containsEntry(1, 30);
  }

  @Test
  void shouldDrawAsUniformWouldWhenNoClusterStandsOutOfTheNoise() {
    // Given twelve clusters of unequal pools and rounds whose rewards are noise alike for all
    TrainerState state = PolicyTestData.state(UcbPolicy.NAME, PolicyTestData.perBatch(Map.of()));
    PlanContext context =
        PlanContext.ofSizes(
            PolicyTestData.sizes(900, 800, 700, 600, 500, 400, 300, 300, 200, 200, 100, 100));
    java.util.Random noise = new java.util.Random(11);
    // When forty rounds report losses drawn alike for every cluster a batch drew
    for (int r = 0; r < 40; r++) {
      Draw d = policy.draw(state, context, 64, Seeds.mix(2, r));
      Map<Integer, Double> losses = new java.util.TreeMap<>();
      d.perCluster().keySet().forEach(k -> losses.put(k, 1 + 0.3 * noise.nextGaussian()));
      policy.onFeedback(PolicyTestData.clusterLosses(losses), state, context);
    }
    // Then no cluster takes much more than its pool share 0.18 (the largest) or 0.02 (a small
    // one): the top-m choice does not act on noise
    double largest = PolicyTestData.share(policy, state, context.poolSizes(), 64, 20, 0);
    double small = PolicyTestData.share(policy, state, context.poolSizes(), 64, 20, 10);
    assertThat(largest).isCloseTo(900.0 / 5100, within(0.04));
    assertThat(small).isLessThan(0.05);
  }

  @Test
  void shouldGiveTheTopShareToAClusterThatKeepsStandingOut() {
    // Given four equal clusters, one chosen beyond the default floor, the gate at its default
    TrainerState state =
        PolicyTestData.state(
            UcbPolicy.NAME, PolicyTestData.perBatch(Map.of(UcbPolicy.CLUSTERS, "1")));
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(5000, 5000, 5000, 5000));
    java.util.Random noise = new java.util.Random(5);
    // When every round reports a clearly higher loss on cluster 2, with noise on all
    for (int r = 0; r < 12; r++) {
      Draw d = policy.draw(state, context, 40, Seeds.mix(9, r));
      Map<Integer, Double> losses = new java.util.TreeMap<>();
      d.perCluster()
          .keySet()
          .forEach(k -> losses.put(k, (k == 2 ? 3.0 : 1.0) + 0.2 * noise.nextGaussian()));
      policy.onFeedback(PolicyTestData.clusterLosses(losses), state, context);
    }
    // Then cluster 2 passes the gate and takes the share beyond the floor on top of its own:
    // 1/2 + 1/2·1/4 of each batch
    assertThat(state.getPolicyState()).containsKey("gate.2");
    assertThat(PolicyTestData.share(policy, state, context.poolSizes(), 40, 10, 2))
        .isCloseTo(0.625, within(0.03));
  }

  @Test
  void shouldGateNothingWithTheEvidenceThresholdOff() {
    // Given the gate off and one reward: Quad's choice of the top cluster needs no evidence
    TrainerState state =
        PolicyTestData.state(
            UcbPolicy.NAME, PolicyTestData.perBatch(quad(Map.of(UcbPolicy.CLUSTERS, "1"))));
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(100, 100, 100));
    policy.onFeedback(PolicyTestData.clusterLosses(Map.of(0, 1.0, 1, 2.0, 2, 1.0)), state, context);
    // Then the batch goes to one cluster, and no gate state is kept
    Draw d = policy.draw(state, context, 10, 7L);
    assertThat(d.perCluster()).hasSize(1);
    assertThat(state.getPolicyState().keySet()).noneMatch(k -> k.startsWith("gate."));
  }
}
