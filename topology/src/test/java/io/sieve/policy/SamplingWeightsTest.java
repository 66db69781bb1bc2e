package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SamplingWeightsTest {

  @Test
  void shouldWeighEachClusterByItsPoolShareOverItsBatchShare() {
    // Given a pool of 800, 150 and 50, and a batch of 20 skewed to the small clusters: 4, 6, 10
    SortedMap<Integer, Long> pool = PolicyTestData.sizes(800, 150, 50);
    TreeMap<Integer, Double> w =
        SamplingWeights.of(pool, SamplingWeights.shares(Map.of(0, 4, 1, 6, 2, 10)));
    // Then w_k = (N_k/N)/(n_k/n): the over-sampled clusters weigh less than 1, the under-sampled
    // one more
    assertThat(w.get(0)).isCloseTo(0.8 / 0.2, within(1e-12));
    assertThat(w.get(1)).isCloseTo(0.15 / 0.3, within(1e-12));
    assertThat(w.get(2)).isCloseTo(0.05 / 0.5, within(1e-12));
    // and the weighted batch has the pool's mix: Σ_k n_k·w_k·[k] ∝ N_k
    double total = 4 * w.get(0) + 6 * w.get(1) + 10 * w.get(2);
    assertThat(4 * w.get(0) / total).isCloseTo(0.8, within(1e-12));
    assertThat(10 * w.get(2) / total).isCloseTo(0.05, within(1e-12));
  }

  @Test
  void shouldGiveOneWhenTheBatchFollowsThePool() {
    SortedMap<Integer, Long> pool = PolicyTestData.sizes(300, 100);
    TreeMap<Integer, Double> w =
        SamplingWeights.of(pool, SamplingWeights.shares(Map.of(0, 30, 1, 10)));
    assertThat(w.get(0)).isCloseTo(1.0, within(1e-12));
    assertThat(w.get(1)).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void shouldTakeExpectedSharesThatNeedNotSumToOne() {
    SortedMap<Integer, Long> pool = PolicyTestData.sizes(500, 500);
    TreeMap<Integer, Double> w = SamplingWeights.of(pool, Map.of(0, 3.0, 1, 1.0, 2, 0.0));
    assertThat(w.get(0)).isCloseTo(0.5 / 0.75, within(1e-12));
    assertThat(w.get(1)).isCloseTo(0.5 / 0.25, within(1e-12));
    assertThat(w).doesNotContainKey(2);
  }
}
