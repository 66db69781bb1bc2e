package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sieve.avro.TrainerState;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;

class ClusterBalancedPolicyTest {

  private final ClusterBalancedPolicy policy = new ClusterBalancedPolicy();

  /** Mean count per cluster over many seeded allocations. */
  private static double[] meanAllocation(int n, long[] sizes, double p) {
    double[] mean = new double[sizes.length];
    int draws = 2000;
    Random rng = new Random(17);
    for (int d = 0; d < draws; d++) {
      int[] a = ClusterBalancedPolicy.allocation(n, sizes, p, rng);
      for (int i = 0; i < a.length; i++) {
        mean[i] += a[i] / (double) draws;
      }
    }
    return mean;
  }

  @Test
  void shouldSplitEquallyAtPZero() {
    // Given pools of 900, 90 and 10: at p = 0 every cluster weighs 1
    int[] a = ClusterBalancedPolicy.allocation(30, new long[] {900, 90, 10}, 0, new Random(1));
    assertThat(a).containsExactly(10, 10, 10);
  }

  @Test
  void shouldSplitInProportionToSizeAtPOne() {
    int[] a = ClusterBalancedPolicy.allocation(100, new long[] {900, 90, 10}, 1, new Random(1));
    assertThat(a).containsExactly(90, 9, 1);
  }

  @Test
  void shouldSplitInProportionToTheSquareRootAtPOneHalf() {
    // Given pools of 900, 100 and 25: weights 30, 10 and 5
    double[] mean = meanAllocation(20, new long[] {900, 100, 25}, 0.5);
    // Then the expected counts are 20·(30, 10, 5)/45, fractions included
    assertThat(mean[0]).isCloseTo(20 * 30 / 45.0, within(0.05));
    assertThat(mean[1]).isCloseTo(20 * 10 / 45.0, within(0.05));
    assertThat(mean[2]).isCloseTo(20 * 5 / 45.0, within(0.05));
  }

  @Test
  void shouldWaterFillTheShortfallOfASmallCluster() {
    // Given equal weights (p = 0) and a cluster that holds only 2 of its 10
    int[] a = ClusterBalancedPolicy.allocation(30, new long[] {500, 500, 2}, 0, new Random(1));
    // Then it gives all it has and the others share the rest: the batch keeps its size
    assertThat(a[2]).isEqualTo(2);
    assertThat(a[0] + a[1]).isEqualTo(28);
    assertThat(Math.abs(a[0] - a[1])).isLessThanOrEqualTo(1);
  }

  @Test
  void shouldReadPFromTheSpecAndRejectItOutsideZeroToOne() {
    TrainerState state =
        PolicyTestData.state(ClusterBalancedPolicy.NAME, Map.of(ClusterBalancedPolicy.P, "1"));
    SortedMap<Integer, Long> sizes = PolicyTestData.sizes(300, 100);
    Draw d = policy.draw(state, PlanContext.ofSizes(sizes), 40, 5L);
    assertThat(d.perCluster()).containsEntry(0, 30).containsEntry(1, 10);
    assertThat(d.total()).isEqualTo(40);
    assertThatThrownBy(() -> policy.checkParams(Map.of(ClusterBalancedPolicy.P, "1.5")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(ClusterBalancedPolicy.P);
  }
}
