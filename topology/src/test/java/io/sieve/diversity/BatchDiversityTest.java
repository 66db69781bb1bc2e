package io.sieve.diversity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchDiversityTest {

  @Test
  void entropyOfOneClusterIsZero() {
    // Given a batch drawn from a single cluster
    // When its entropy is taken
    double h = BatchDiversity.entropy(Map.of("3", 64));
    // Then it is zero bits
    assertThat(h).isEqualTo(0.0);
  }

  @Test
  void entropyOfEvenlySpreadClustersIsLog2OfTheirNumber() {
    // Given a batch spread evenly over four clusters
    // When its entropy is taken
    double h = BatchDiversity.entropy(Map.of("0", 16, "1", 16, "2", 16, "3", 16));
    // Then it is log2(4) = 2 bits
    assertThat(h).isCloseTo(2.0, within(1e-12));
  }

  @Test
  void entropyOfASkewedSplitMatchesTheFormula() {
    // Given a 3:1 split
    // When its entropy is taken
    double h = BatchDiversity.entropy(Map.of("a", 30, "b", 10));
    // Then it is -(0.75 log2 0.75 + 0.25 log2 0.25)
    double expected = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)) / Math.log(2);
    assertThat(h).isCloseTo(expected, within(1e-12));
    assertThat(h).isCloseTo(0.8112781244591328, within(1e-12));
  }

  @Test
  void emptyCountsHaveZeroEntropy() {
    // Given no counts at all, and counts of zero
    // Then neither has any entropy
    assertThat(BatchDiversity.entropy(Map.of())).isEqualTo(0.0);
    assertThat(BatchDiversity.entropy(Map.of("a", 0))).isEqualTo(0.0);
  }

  @Test
  void groupEntropyIsTakenPerAttribute() {
    // Given group counts over two attributes: lang split evenly, region all in one value
    Map<String, Integer> groups = Map.of("lang=en", 5, "lang=de", 5, "region=eu", 10);

    // When the batch's diversity is taken
    BatchDiversity d = BatchDiversity.of(Map.of("1", 10), groups);

    // Then each attribute has its own entropy, and the attributes do not mix
    assertThat(d.groupEntropy()).containsOnlyKeys("lang", "region");
    assertThat(d.groupEntropy().get("lang")).isCloseTo(1.0, within(1e-12));
    assertThat(d.groupEntropy().get("region")).isEqualTo(0.0);
    assertThat(d.clusterEntropy()).isEqualTo(0.0);
  }
}
