package io.sieve.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SimHashTest {

  private static final int DIM = 384;

  private static float[] unit(float[] v) {
    Vectors.normalize(v);
    return v;
  }

  private static float[] random(Random rng) {
    float[] v = new float[DIM];
    for (int i = 0; i < DIM; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    return unit(v);
  }

  /** A unit vector at cosine {@code cos} to unit {@code x}. */
  private static float[] atCosine(float[] x, double cos, Random rng) {
    float[] r = random(rng);
    float along = Vectors.dot(r, x);
    for (int i = 0; i < DIM; i++) {
      r[i] -= along * x[i];
    }
    unit(r);
    float[] y = new float[DIM];
    double sin = Math.sqrt(1 - cos * cos);
    for (int i = 0; i < DIM; i++) {
      y[i] = (float) (cos * x[i] + sin * r[i]);
    }
    return unit(y);
  }

  @Test
  void shouldEstimateTheAngleFromTheHammingDistance() {
    SimHash hash = new SimHash(DIM);
    Random rng = new Random(1);
    long[] a = new long[SimHash.WORDS];
    long[] b = new long[SimHash.WORDS];
    for (double cos : new double[] {0.99, 0.9, 0.5, 0.0}) {
      double total = 0;
      int pairs = 200;
      for (int i = 0; i < pairs; i++) {
        float[] x = random(rng);
        hash.signature(x, a, 0);
        hash.signature(atCosine(x, cos, rng), b, 0);
        total += SimHash.distance(a, 0, b, 0);
      }
      double expected = SimHash.BITS * Math.acos(cos) / Math.PI;
      assertThat(total / pairs).as("cos %s", cos).isBetween(expected - 3, expected + 3);
    }
  }

  @Test
  void shouldKeepPairsAtTheThresholdAsCandidatesAndRejectUnrelatedOnes() {
    SimHash hash = new SimHash(DIM);
    Random rng = new Random(2);
    long[] a = new long[SimHash.WORDS];
    long[] b = new long[SimHash.WORDS];
    int limit = SimHash.candidateDistance(0.10);
    int missed = 0;
    int unrelatedKept = 0;
    for (int i = 0; i < 1000; i++) {
      float[] x = random(rng);
      hash.signature(x, a, 0);
      hash.signature(atCosine(x, 0.90, rng), b, 0);
      if (SimHash.distance(a, 0, b, 0) > limit) {
        missed++;
      }
      hash.signature(random(rng), b, 0);
      if (SimHash.distance(a, 0, b, 0) <= limit) {
        unrelatedKept++;
      }
    }
    assertThat(missed).isLessThanOrEqualTo(10);
    assertThat(unrelatedKept).isZero();
  }

  /** A unit vector with {@code nonZero} random coordinates set, as a hashed text's embedding. */
  private static float[] sparse(Random rng, int nonZero) {
    float[] v = new float[DIM];
    for (int i = 0; i < nonZero; i++) {
      v[rng.nextInt(DIM)] = rng.nextBoolean() ? 1f : -1f;
    }
    return unit(v);
  }

  @Test
  void shouldEstimateTheAngleOfSparseVectorsAndCatchPairsAtTheDefaultThreshold() {
    // Given sparse vectors (a few coordinates, as feature hashing gives) and partners at the
    // default near-duplicate threshold (cosine 0.99) and at 0.8
    SimHash hash = new SimHash(DIM);
    Random rng = new Random(4);
    long[] a = new long[SimHash.WORDS];
    long[] b = new long[SimHash.WORDS];
    int limit = SimHash.candidateDistance(0.01);
    int missed = 0;
    double far = 0;
    int pairs = 2000;
    for (int i = 0; i < pairs; i++) {
      float[] x = sparse(rng, 12);
      hash.signature(x, a, 0);
      hash.signature(atCosine(x, 0.99, rng), b, 0);
      if (SimHash.distance(a, 0, b, 0) > limit) {
        missed++;
      }
      hash.signature(atCosine(x, 0.8, rng), b, 0);
      far += SimHash.distance(a, 0, b, 0);
    }
    // Then a pair at the threshold is missed about once in a thousand (binomial margin of 3 sd),
    // and the mean distance at cosine 0.8 is the angle's: 256 · acos(0.8) / π ≈ 52.4
    assertThat(missed).isLessThanOrEqualTo(10);
    assertThat(far / pairs).isBetween(52.4 - 2, 52.4 + 2);
  }

  @Test
  void shouldTransformOnTheVectorKernelExactlyAsTheScalarTransform() {
    // the tests run with the Vector API, so signatures take the vector kernel
    assertThat(NearestSearch.VECTOR).isTrue();
    Random rng = new Random(11);
    for (int n : new int[] {1, 2, 4, 8, 16, 32, 64, 512, 1024}) {
      float[] scalar = new float[n];
      for (int i = 0; i < n; i++) {
        scalar[i] = (float) rng.nextGaussian();
      }
      float[] vector = scalar.clone();
      SimHash.hadamard(scalar);
      SimHash.transform(vector);
      // the same sums in the same order: equal bit for bit, whatever the vector width
      assertThat(vector).as("n = %d", n).containsExactly(scalar);
    }
    // and the transform is the Hadamard matrix: twice applied, n times the input
    float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    float[] y = x.clone();
    SimHash.transform(y);
    assertThat(y[0]).isEqualTo(136f);
    SimHash.transform(y);
    for (int i = 0; i < x.length; i++) {
      assertThat(y[i]).isEqualTo(16 * x[i]);
    }
  }

  @Test
  void shouldGiveTheSameSignatureInEveryInstance() {
    float[] x = random(new Random(3));
    long[] a = new long[SimHash.WORDS];
    long[] b = new long[SimHash.WORDS];
    new SimHash(DIM).signature(x, a, 0);
    new SimHash(DIM).signature(x, b, 0);
    assertThat(b).containsExactly(a);
  }
}
