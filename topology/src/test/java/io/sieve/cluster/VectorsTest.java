package io.sieve.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VectorsTest {

  @Test
  void dotMatchesANaiveSumForEveryTailLength() {
    Random rng = new Random(1);
    for (int len = 0; len <= 11; len++) {
      float[] a = random(rng, len);
      float[] b = random(rng, len);
      double naive = 0;
      for (int i = 0; i < len; i++) {
        naive += (double) a[i] * b[i];
      }
      assertThat((double) Vectors.dot(a, b)).as("len %d", len).isCloseTo(naive, within(1e-5));
    }
  }

  @Test
  void dotWithARowOfAFlatMatrix() {
    float[] flat = {9, 9, 1, 2, 3, 9};
    float[] a = {1, 10, 100};
    assertThat(Vectors.dot(a, flat, 2, 3)).isEqualTo(321f);
    assertThatThrownBy(() -> Vectors.dot(a, flat, 4, 3))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> Vectors.dot(new float[2], new float[3]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void allFiniteDetectsNanAndInfinity() {
    assertThat(Vectors.allFinite(new float[] {0f, -1e30f, Float.MIN_VALUE})).isTrue();
    assertThat(Vectors.allFinite(new float[] {0f, Float.NaN})).isFalse();
    assertThat(Vectors.allFinite(new float[] {Float.NEGATIVE_INFINITY, 1f})).isFalse();
  }

  @Test
  void normalizeScalesToUnitLengthAndReturnsTheOldNorm() {
    float[] v = {3f, 0f, -4f};
    assertThat(Vectors.normalize(v)).isCloseTo(5.0, within(1e-12));
    assertThat(v).containsExactly(new float[] {0.6f, 0f, -0.8f}, within(1e-7f));

    float[] zero = new float[4];
    assertThat(Vectors.normalize(zero)).isZero();
    assertThat(zero).containsOnly(0f);
  }

  @Test
  void packIsLittleEndianFloat32AndRoundTrips() {
    float[] v = {1.5f, -0f, Float.MAX_VALUE, Float.NaN, 1e-40f};
    byte[] packed = Vectors.pack(v);

    assertThat(packed).hasSize(20);
    assertThat(ByteBuffer.wrap(packed).order(ByteOrder.LITTLE_ENDIAN).getInt(0))
        .isEqualTo(Float.floatToIntBits(1.5f));
    float[] back = Vectors.unpack(packed);
    for (int i = 0; i < v.length; i++) {
      assertThat(Float.floatToRawIntBits(back[i])).isEqualTo(Float.floatToRawIntBits(v[i]));
    }
  }

  @Test
  void unpackReadsTheRemainingBytesWithoutMovingTheBuffer() {
    ByteBuffer buf = ByteBuffer.allocate(3 + 8).order(ByteOrder.BIG_ENDIAN);
    buf.position(3);
    buf.put(Vectors.pack(new float[] {2f, -7.25f}));
    buf.position(3);

    assertThat(Vectors.unpack(buf)).containsExactly(2f, -7.25f);
    assertThat(buf.position()).isEqualTo(3);
    assertThat(buf.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
    assertThatThrownBy(() -> Vectors.unpack(new byte[6]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static float[] random(Random rng, int len) {
    float[] v = new float[len];
    for (int i = 0; i < len; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    return v;
  }
}
