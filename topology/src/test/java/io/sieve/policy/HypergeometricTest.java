package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HypergeometricTest {

  @Test
  void drawsExactlyNWithinTheRemainingCounts() {
    Random gen = new Random(3);
    for (int trial = 0; trial < 500; trial++) {
      int k = 1 + gen.nextInt(10);
      long[] remaining = new long[k];
      long total = 0;
      for (int i = 0; i < k; i++) {
        remaining[i] = gen.nextInt(3) == 0 ? 0 : gen.nextInt(30);
        total += remaining[i];
      }
      int n = total == 0 ? 0 : gen.nextInt((int) total + 1);
      long[] before = remaining.clone();

      int[] x = Hypergeometric.draw(n, remaining, new Random(trial));

      long sum = 0;
      for (int i = 0; i < k; i++) {
        assertThat((long) x[i]).isBetween(0L, remaining[i]);
        sum += x[i];
      }
      assertThat(sum).isEqualTo(n);
      assertThat(remaining).as("input untouched").containsExactly(before);
    }
  }

  @Test
  void drawingEverythingReturnsTheRemainingCounts() {
    long[] remaining = {3, 0, 9, 1};
    assertThat(Hypergeometric.draw(13, remaining, new Random(1))).containsExactly(3, 0, 9, 1);
    assertThat(Hypergeometric.draw(0, remaining, new Random(1))).containsExactly(0, 0, 0, 0);
  }

  @Test
  void meanMatchesTheHypergeometricExpectation() {
    // n below and above half the urn, so both the direct and the complement draws are exercised
    long[] remaining = {5, 20, 75, 0, 100};
    for (int n : new int[] {30, 170}) {
      int trials = 20_000;
      double[] mean = new double[remaining.length];
      Random rng = new Random(n);
      for (int t = 0; t < trials; t++) {
        int[] x = Hypergeometric.draw(n, remaining, rng);
        for (int i = 0; i < x.length; i++) {
          mean[i] += x[i] / (double) trials;
        }
      }
      double total = 200;
      for (int i = 0; i < remaining.length; i++) {
        double p = remaining[i] / total;
        double expected = n * p;
        double variance = n * p * (1 - p) * (total - n) / (total - 1);
        double tolerance = 5 * Math.sqrt(variance / trials) + 1e-9;
        assertThat(mean[i]).as("n=%d category %d", n, i).isCloseTo(expected, offset(tolerance));
      }
    }
  }

  @Test
  void rejectsImpossibleDraws() {
    assertThatThrownBy(() -> Hypergeometric.draw(5, new long[] {2, 2}, new Random()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Hypergeometric.draw(1, new long[] {-1, 2}, new Random()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Hypergeometric.draw(-1, new long[] {2}, new Random()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
