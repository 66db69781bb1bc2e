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
