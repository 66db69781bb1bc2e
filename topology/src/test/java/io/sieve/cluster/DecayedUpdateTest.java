package io.sieve.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class DecayedUpdateTest {

  @Test
  void aWeightlessCentreJumpsToTheNormalisedBatchMean() {
    float[] center = {1, 0, 0};
    float[] sum = {0, 2, 1}; // e.g. (0,1,0) + (0,1,1)

    double w = DecayedUpdate.apply(center, 0.0, 2, sum, 0.9);

    assertThat(w).isEqualTo(2.0);
    float s = (float) Math.sqrt(5);
    assertThat(center).containsExactly(new float[] {0, 2 / s, 1 / s}, within(1e-6f));
  }

  @Test
  void aHeavyCentreBarelyMoves() {
    float[] center = {1, 0};
    double w = DecayedUpdate.apply(center, 1e6, 1, new float[] {0, 1}, 1.0);

    assertThat(w).isEqualTo(1e6 + 1);
    assertThat((double) center[0]).isGreaterThan(0.999999);
    assertThat((double) center[1]).isPositive().isLessThan(2e-6);
  }

  @Test
  void withoutDecayTheCentreIsTheRunningMeanDirection() {
    float[] center = {1, 0};
    // one point at (1,0) already absorbed; adding (0,1) must give the direction of (½, ½)
    DecayedUpdate.apply(center, 1.0, 1, new float[] {0, 1}, 1.0);

    assertThat(center[0]).isCloseTo(center[1], within(1e-7f));
  }

  @Test
  void emptyBatchOnlyDecaysTheWeightAndHalvesItOverOneHalfLife() {
    double decay = DecayedUpdate.decayForHalfLife(10);
    float[] center = {0.6f, 0.8f};
    double w = 8.0;
    for (int i = 0; i < 10; i++) {
      w = DecayedUpdate.apply(center, w, 0, new float[2], decay);
    }

    assertThat(w).isCloseTo(4.0, within(1e-12));
    assertThat(center).containsExactly(0.6f, 0.8f);
  }

  @Test
  void infiniteHalfLifeMeansNoDecay() {
    assertThat(DecayedUpdate.decayForHalfLife(Double.POSITIVE_INFINITY)).isEqualTo(1.0);
    assertThat(DecayedUpdate.decayForHalfLife(1)).isCloseTo(0.5, within(1e-15));
  }

  @Test
  void anExactlyOpposingBatchLeavesTheCentreInPlace() {
    float[] center = {1, 0};
    DecayedUpdate.apply(center, 1.0, 1, new float[] {-1, 0}, 1.0);
    assertThat(center).containsExactly(1f, 0f);
  }

  @Test
  void rejectsBadArguments() {
    assertThatThrownBy(() -> DecayedUpdate.decayForHalfLife(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DecayedUpdate.apply(new float[2], 0, 1, new float[3], 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DecayedUpdate.apply(new float[2], 0, 1, new float[2], 1.5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DecayedUpdate.apply(new float[2], -1, 1, new float[2], 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
