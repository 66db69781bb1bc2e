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

  @Test
  void shouldServeACyclesArrivalsBeforeItEndsAndNoSlotTwice() {
    // Given a trainer that has begun cluster 0's cycle over its 100 slots
    io.sieve.avro.TrainerState state =
        PolicyTestData.state(IterativeRefinementPolicy.NAME, java.util.Map.of());
    java.util.SortedMap<Integer, Long> sizes = PolicyTestData.sizes(100);
    java.util.Set<Long> served = new java.util.HashSet<>();
    Random rng = new Random(5);
    for (Draw.Pick p :
        ClusterDraws.take(state, sizes, new int[] {0}, new int[] {20}, rng).picks().get(0)) {
      assertThat(served.add(p.slot())).isTrue();
    }
    // When 100 more examples arrive in it and 100 more are drawn, 10 at a time
    sizes.put(0, 200L);
    int fresh = 0;
    for (int b = 0; b < 10; b++) {
      for (Draw.Pick p :
          ClusterDraws.take(state, sizes, new int[] {0}, new int[] {10}, rng).picks().get(0)) {
        // Then no slot is served twice in the cycle
        assertThat(served.add(p.slot())).as("slot %d", p.slot()).isTrue();
        assertThat(p.cycle()).isZero();
        fresh += p.slot() >= 100 ? 1 : 0;
      }
    }
    // and the arrivals are served in the current cycle, in proportion to what is left unserved
    // (100 of the 180 unserved when they arrived: about 55 of the 100 drawn)
    assertThat(fresh).isBetween(35, 75);
  }
}
