package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sieve.avro.TrainerState;
import io.sieve.cluster.Centroids;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UcbPolicyTest {

  private final UcbPolicy policy = new UcbPolicy();

  @Test
  void shouldScoreClustersByMeanRewardPlusTheConfidenceBonus() {
    TrainerState state = PolicyTestData.state(UcbPolicy.NAME, Map.of());
    state.setPolicyState(Map.of("sum.0", 6.0, "n.0", 3.0, "T", 10.0));
    double[] cs = UcbPolicy.scores(state, new int[] {0, 1}, 0.5);
    assertThat(cs[0]).isCloseTo(2.0 + 0.5 * Math.sqrt(2 * Math.log(10) / 4), within(1e-12));
    assertThat(cs[1]).isCloseTo(0.5 * Math.sqrt(2 * Math.log(10) / 1), within(1e-12));
  }

  @Test
  void shouldNudgeNeighboursWithinDeltaByDistance() {
    // Given clusters 0 and 1 at cosine distance 0.1, cluster 2 far away, δ = 0.2
    float a = (float) Math.sqrt(1 - 0.9 * 0.9);
    Centroids centres = new Centroids(2, new int[] {0, 1, 2}, new float[] {1, 0, 0.9f, a, -1, 0});
    PlanContext context = new PlanContext(PolicyTestData.sizes(10, 10, 10), Map.of(), centres);
    TrainerState state = PolicyTestData.state(UcbPolicy.NAME, Map.of(UcbPolicy.DELTA, "0.2"));
    // When cluster 0 earns a reward of 2
    policy.onFeedback(PolicyTestData.clusterLosses(Map.of(0, 2.0)), state, context);
    // Then cluster 1 gets r·(1 − d/δ) = 2·0.5 and a count, cluster 2 nothing
    Map<String, Double> s = state.getPolicyState();
    assertThat(s.get("sum.0")).isEqualTo(2.0);
    assertThat(s.get("sum.1")).isCloseTo(1.0, within(1e-6));
    assertThat(s.get("n.1")).isEqualTo(1.0);
    assertThat(s).doesNotContainKey("sum.2");
    assertThat(s.get("T")).isEqualTo(1.0);
  }

  @Test
  void shouldShiftShareTowardTheClusterWithTheHigherLossWithinTenRounds() {
    // Given three equal clusters, two chosen per batch, and cluster 1 with the higher loss
    TrainerState state = PolicyTestData.state(UcbPolicy.NAME, Map.of(UcbPolicy.CLUSTERS, "2"));
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
    TrainerState state = PolicyTestData.state(UcbPolicy.NAME, Map.of(UcbPolicy.CLUSTERS, "1"));
    state.setPolicyState(Map.of("sum.0", 100.0, "n.0", 1.0, "T", 1.0));
    // Given the top cluster holds only 3 items
    Draw d = policy.draw(state, PlanContext.ofSizes(PolicyTestData.sizes(3, 50, 50)), 10, 42L);
    // Then the next clusters by score make up the batch
    assertThat(d.perCluster().get(0)).isEqualTo(3);
    assertThat(d.total()).isEqualTo(10);
  }
}
