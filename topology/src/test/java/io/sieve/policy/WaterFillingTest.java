package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WaterFillingTest {

  @Test
  void concreteCaseRedistributesTheShortfall() {
    Set<List<Integer>> outcomes = new HashSet<>();
    for (long seed = 0; seed < 40; seed++) {
      // mixed seeds: the first nextInt(2) of new Random(0..39) is strongly correlated
      int[] a = WaterFilling.allocate(10, new long[] {1, 100, 100}, new Random(Seeds.mix(seed)));
      outcomes.add(List.of(a[0], a[1], a[2]));
    }
    assertThat(outcomes).containsExactlyInAnyOrder(List.of(1, 4, 5), List.of(1, 5, 4));
  }

  @Test
  void propertiesHoldOnRandomInputs() {
    for (long seed = 0; seed < 2000; seed++) {
      Random gen = new Random(seed);
      int k = gen.nextInt(12);
      long[] caps = new long[k];
      long totalCap = 0;
      for (int i = 0; i < k; i++) {
        caps[i] = gen.nextInt(4) == 0 ? 0 : gen.nextInt(40);
        totalCap += caps[i];
      }
      int budget = gen.nextInt(300);

      int[] a = WaterFilling.allocate(budget, caps, new Random(Seeds.mix(seed)));

      String ctx = "seed " + seed;
      long sum = 0;
      int minOpen = Integer.MAX_VALUE;
      int maxOpen = Integer.MIN_VALUE;
      int maxFull = Integer.MIN_VALUE;
      for (int i = 0; i < k; i++) {
        assertThat((long) a[i]).as(ctx).isBetween(0L, caps[i]);
        sum += a[i];
        if (a[i] < caps[i]) {
          minOpen = Math.min(minOpen, a[i]);
          maxOpen = Math.max(maxOpen, a[i]);
        } else {
          maxFull = Math.max(maxFull, a[i]);
        }
      }
      assertThat(sum).as(ctx).isEqualTo(Math.min(budget, totalCap));
      if (minOpen != Integer.MAX_VALUE) {
        assertThat(maxOpen - minOpen).as(ctx).isLessThanOrEqualTo(1);
        // nobody may hold more than one unit above an entry that still had room
        assertThat(maxFull).as(ctx).isLessThanOrEqualTo(minOpen + 1);
      }
    }
  }

  @Test
  void hugeCapacitiesDoNotOverflow() {
    int[] a = WaterFilling.allocate(7, new long[] {Long.MAX_VALUE, Long.MAX_VALUE}, new Random(1));
    assertThat(a[0] + a[1]).isEqualTo(7);
    assertThat(Math.abs(a[0] - a[1])).isEqualTo(1);
  }

  @Test
  void rejectsNegativeInputs() {
    assertThatThrownBy(() -> WaterFilling.allocate(-1, new long[] {1}, new Random()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WaterFilling.allocate(1, new long[] {-1}, new Random()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
