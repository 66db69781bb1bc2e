package io.sieve.embed;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Murmur3Test {

  @Test
  void matchesPublishedReferenceVectors() {
    // vectors from the reference MurmurHash3_x86_32, not from this implementation
    assertThat(Murmur3.hash32("", 0)).isZero();
    assertThat(Murmur3.hash32("", 1)).isEqualTo(0x514e28b7);
    assertThat(Murmur3.hash32("", 0xffffffff)).isEqualTo(0x81f16f39);
    assertThat(Murmur3.hash32(new byte[4], 0, 4, 0)).isEqualTo(0x2362f9de);
    assertThat(Murmur3.hash32("aaaa", 0x9747b28c)).isEqualTo(0x5a97808a);
    assertThat(Murmur3.hash32("hello", 0)).isEqualTo(0x248bfa47);
    assertThat(Murmur3.hash32("Hello, world!", 0x9747b28c)).isEqualTo(0x24884cba);
    assertThat(Murmur3.hash32("The quick brown fox jumps over the lazy dog", 0x9747b28c))
        .isEqualTo(0x2fa826cd);
  }

  @Test
  void hashesTheUtf8BytesOfStrings() {
    String s = "Straße 😀";
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    byte[] padded = new byte[utf8.length + 5];
    System.arraycopy(utf8, 0, padded, 3, utf8.length);

    assertThat(Murmur3.hash32(padded, 3, utf8.length, 42)).isEqualTo(Murmur3.hash32(s, 42));
  }

  @Test
  void everyTailLengthAffectsTheHash() {
    byte[] data = "abcdefg".getBytes(StandardCharsets.UTF_8);
    int[] seen = new int[data.length + 1];
    for (int len = 0; len <= data.length; len++) {
      seen[len] = Murmur3.hash32(data, 0, len, 7);
    }
    assertThat(seen).doesNotHaveDuplicates();
  }
}
