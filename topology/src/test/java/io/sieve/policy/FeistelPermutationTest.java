package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FeistelPermutationTest {

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 7, 16, 17, 100, 1000, 4096, 4097})
  void isAPermutationOfTheRange(long n) {
    for (long seed : new long[] {0, 1, -7, 123456789}) {
      FeistelPermutation p = new FeistelPermutation(seed, n);
      boolean[] hit = new boolean[(int) n];
      for (long i = 0; i < n; i++) {
        long y = p.apply(i);
        assertThat(y).isBetween(0L, n - 1);
        assertThat(hit[(int) y]).as("seed %d: %d hit twice", seed, y).isFalse();
        hit[(int) y] = true;
      }
    }
  }

  @Test
  void singletonMapsToZero() {
    assertThat(new FeistelPermutation(99, 1).apply(0)).isZero();
  }

  @Test
  void emptyRangeHasNoImages() {
    FeistelPermutation p = new FeistelPermutation(1, 0);
    assertThatThrownBy(() -> p.apply(0)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void rejectsIndicesOutsideTheRange() {
    FeistelPermutation p = new FeistelPermutation(1, 10);
    assertThatThrownBy(() -> p.apply(10)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> p.apply(-1)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void seedsChooseDifferentOrdersDeterministically() {
    long n = 1000;
    long[] a = order(5, n);
    assertThat(order(5, n)).containsExactly(a);
    assertThat(order(6, n)).isNotEqualTo(a);
    // far from the identity: a random permutation has about one fixed point
    int fixed = 0;
    for (int i = 0; i < n; i++) {
      fixed += a[i] == i ? 1 : 0;
    }
    assertThat(fixed).isLessThan(10);
  }

  @Test
  void worksNearTheTopOfTheLongRange() {
    long n = Long.MAX_VALUE;
    FeistelPermutation p = new FeistelPermutation(3, n);
    for (long i : new long[] {0, 1, n - 1, n / 2}) {
      assertThat(p.apply(i)).isBetween(0L, n - 1);
    }
    assertThat(p.apply(0)).isNotEqualTo(p.apply(1));
  }

  private static long[] order(long seed, long n) {
    FeistelPermutation p = new FeistelPermutation(seed, n);
    long[] out = new long[(int) n];
    for (int i = 0; i < n; i++) {
      out[i] = p.apply(i);
    }
    return out;
  }
}
