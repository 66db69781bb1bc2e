package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterCursor;
import io.sieve.avro.TrainerState;
import io.sieve.cluster.CentroidModels;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ClusterLineageTest {

  /** Live clusters {@code ids} with the given parents, next id {@code next}. */
  private static CentroidModel model(int next, int[] ids, Integer[] parents) {
    float[][] centers = new float[ids.length][];
    for (int k = 0; k < ids.length; k++) {
      centers[k] = new float[] {1, 0};
    }
    return CentroidModels.model(3, 2, next, ids, new double[ids.length], centers, parents);
  }

  private static ClusterCursor cursor(int cluster) {
    return ClusterCursor.newBuilder()
        .setClusterId(cluster)
        .setCycle(0)
        .setSize(5)
        .setDrawn(2)
        .build();
  }

  @Test
  void shouldStartASplitClusterFromItsParentsUcbStatisticsInsteadOfCold() {
    // Given a UCB trainer that learned cluster 1 pays (two rounds of ten batches of high loss on
    // it: the policy updates once per round)
    UcbPolicy ucb = new UcbPolicy();
    TrainerState state = PolicyTestData.state(UcbPolicy.NAME, Map.of());
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(10, 10));
    for (int b = 0; b < 20; b++) {
      ucb.onFeedback(PolicyTestData.clusterLosses(Map.of(0, 0.1, 1, 3.0)), state, context);
    }
    Map<String, Double> before = new TreeMap<>(state.getPolicyState());

    // When cluster 1 is split and its new half, cluster 2, names it as parent
    boolean changed =
        ClusterLineage.of(model(3, new int[] {0, 1, 2}, new Integer[] {null, null, 1}))
            .reconcile(state);

    // Then cluster 2 has cluster 1's numbers, so it scores as its parent does, not as unknown
    assertThat(changed).isTrue();
    assertThat(state.getPolicyState().get("sum.2")).isEqualTo(before.get("sum.1"));
    assertThat(state.getPolicyState().get("n.2")).isEqualTo(before.get("n.1"));
    double[] scores = UcbPolicy.scores(state, new int[] {1, 2}, 0.5);
    assertThat(scores[1]).isEqualTo(scores[0]);
    // and the parent keeps its own
    assertThat(state.getPolicyState().get("sum.1")).isEqualTo(before.get("sum.1"));
  }

  @Test
  void shouldDropTheNumbersAndCursorOfARetiredClusterAndKeepEverythingElse() {
    // Given numbers and cursors for clusters 0, 1 and 5, a group key and a key of cluster 9
    TrainerState state = PolicyTestData.state(UcbPolicy.NAME, Map.of());
    state.setPolicyState(
        Map.of(
            "logw.0", -1.0,
            "logw.1", -2.0,
            "logw.5", -3.0,
            "score.5", 4.0,
            "n.lang=de", 7.0,
            "n.version=1.2", 8.0,
            "logw.9", -9.0,
            "T", 10.0));
    state.setCursors(List.of(cursor(0), cursor(1), cursor(5)));

    // When the model lists clusters 0 and 1 only, next id 6 (so 5 was retired, 9 is not yet known)
    ClusterLineage lineage = ClusterLineage.of(model(6, new int[] {0, 1}, new Integer[2]));
    boolean changed = lineage.reconcile(state);

    // Then cluster 5's keys and cursor are gone, and nothing else
    assertThat(changed).isTrue();
    assertThat(state.getPolicyState())
        .containsOnlyKeys("logw.0", "logw.1", "n.lang=de", "n.version=1.2", "logw.9", "T");
    assertThat(state.getCursors()).extracting(ClusterCursor::getClusterId).containsExactly(0, 1);
    assertThat(lineage.retired(5)).isTrue();
    assertThat(lineage.retired(9)).isFalse();
    // and a second pass changes nothing
    assertThat(lineage.reconcile(state)).isFalse();
  }

  @Test
  void shouldInheritOnceThenLeaveTheChildsOwnNumbersAlone() {
    // Given cluster 3 spawned beside cluster 0 and already inherited
    TrainerState state = PolicyTestData.state(UcbPolicy.NAME, Map.of());
    state.setPolicyState(Map.of("logw.0", -1.0));
    ClusterLineage lineage = ClusterLineage.of(model(4, new int[] {0, 3}, new Integer[] {null, 0}));
    lineage.reconcile(state);

    // When the policy moves cluster 3 on its own and the same model is seen again
    Map<String, Double> moved = new TreeMap<>(state.getPolicyState());
    moved.put("logw.3", -5.0);
    state.setPolicyState(moved);
    boolean changed = lineage.reconcile(state);

    // Then the child's own number stays
    assertThat(changed).isFalse();
    assertThat(state.getPolicyState().get("logw.3")).isEqualTo(-5.0);
  }
}
