package io.sieve.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PairedStatsTest {

  @Test
  void intervalIsTheStudentTIntervalOfThePairedDifferences() {
    // differences 1, 2, 3: mean 2, sd 1, half-width t(0.975, 2) / √3 = 4.303 / 1.732
    PairedStats.Delta d =
        PairedStats.delta(new double[] {1.5, 2.5, 3.5}, new double[] {0.5, 0.5, 0.5});
    assertThat(d.mean()).isCloseTo(2.0, within(1e-12));
    assertThat(d.high() - d.mean()).isCloseTo(4.303 / Math.sqrt(3), within(1e-9));
    assertThat(d.low()).isCloseTo(2.0 - 4.303 / Math.sqrt(3), within(1e-9));
    assertThat(d.pairs()).isEqualTo(3);
    assertThat(d.above0()).isFalse();
  }

  @Test
  void pairingRemovesWhatTheSeedsShare() {
    // seeds differ a lot, the policy is always 0.01 better: a clear win once paired
    double[] base = {0.30, 0.50, 0.70, 0.40, 0.60};
    double[] better = {0.31, 0.51, 0.71, 0.41, 0.61};
    PairedStats.Delta d = PairedStats.delta(better, base);
    assertThat(d.mean()).isCloseTo(0.01, within(1e-9));
    assertThat(d.above0()).isTrue();
    assertThat(PairedStats.delta(base, better).below0()).isTrue();
  }

  @Test
  void missingSeedsAreLeftOutAndOnePairHasNoInterval() {
    PairedStats.Delta d =
        PairedStats.delta(new double[] {0.5, Double.NaN}, new double[] {0.25, 0.1});
    assertThat(d.pairs()).isEqualTo(1);
    assertThat(d.mean()).isCloseTo(0.25, within(1e-12));
    assertThat(d.low()).isNaN();
    assertThatThrownBy(() -> PairedStats.delta(new double[1], new double[2]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void tQuantilesApproachTheNormal() {
    assertThat(PairedStats.t975(4)).isEqualTo(2.776);
    assertThat(PairedStats.t975(100)).isEqualTo(1.960);
    assertThat(PairedStats.t975(0)).isNaN();
  }
}
