package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ClusterDrawsTest {

  @Test
  void shouldDrawMultinomialCountsWithTheRightMeans() {
    Random rng = new Random(Seeds.mix(1, 2));
    double[] w = {0.5, 0.3, 0.2, 0.0};
    long[] totals = new long[4];
    for (int r = 0; r < 2000; r++) {
      int[] c = ClusterDraws.multinomial(50, w, rng);
      assertThat(Arrays.stream(c).sum()).isEqualTo(50);
      for (int i = 0; i < 4; i++) {
        totals[i] += c[i];
      }
    }
    assertThat(totals[0] / 100000.0).isCloseTo(0.5, within(0.01));
    assertThat(totals[2] / 100000.0).isCloseTo(0.2, within(0.01));
    assertThat(totals[3]).isZero();
  }

  @Test
  void shouldCapCountsAndWaterFillTheExcess() {
    int[] out = ClusterDraws.capped(new int[] {10, 0, 0}, new long[] {4, 5, 100}, new Random(3));
    assertThat(out[0]).isEqualTo(4);
    assertThat(out[1] + out[2]).isEqualTo(6);
    assertThat(out[1]).isBetween(3, 5);
  }
}
