package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SeedsTest {

  @Test
  void orderOfPartsMatters() {
    assertThat(Seeds.mix(1, 2)).isNotEqualTo(Seeds.mix(2, 1));
    assertThat(Seeds.mix(42, 7, 3)).isNotEqualTo(Seeds.mix(42, 3, 7));
  }

  @Test
  void arityMatters() {
    assertThat(Seeds.mix(0)).isNotEqualTo(Seeds.mix(0, 0));
    assertThat(Seeds.mix()).isNotEqualTo(Seeds.mix(0));
  }

  @Test
  void nearbyInputsGiveDistinctWellSpreadSeeds() {
    Set<Long> seen = new HashSet<>();
    long ones = 0;
    int count = 0;
    for (long round = 0; round < 50; round++) {
      for (long cluster = 0; cluster < 50; cluster++) {
        long s = Seeds.mix(1234, round, cluster);
        seen.add(s);
        ones += Long.bitCount(s);
        count++;
      }
    }
    assertThat(seen).hasSize(count);
    // consecutive small inputs must still flip about half the output bits
    assertThat(ones / (double) (64 * count)).isBetween(0.48, 0.52);
  }

  @Test
  void stringHashIsStableAndDiscriminating() {
    assertThat(Seeds.of("trainer-a")).isEqualTo(Seeds.of(new String("trainer-a")));
    assertThat(Seeds.of("trainer-a")).isNotEqualTo(Seeds.of("trainer-b"));
    assertThat(Seeds.of("ab")).isNotEqualTo(Seeds.of("ba"));
    assertThat(Seeds.of("")).isNotEqualTo(Seeds.of("\0"));
    // UTF-8 bytes, not chars: é must not hash like its Latin-1 byte
    assertThat(Seeds.of("é")).isNotEqualTo(Seeds.of("\u00c3\u00a9"));
  }

  @Test
  void fmix64IsABijectionOnASample() {
    Set<Long> seen = new HashSet<>();
    for (long i = 0; i < 10_000; i++) {
      seen.add(Seeds.fmix64(i));
    }
    assertThat(seen).hasSize(10_000);
  }
}
