package io.sieve.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.cluster.SimHash;
import io.sieve.cluster.Vectors;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NearIndexTest {

  private static final int DIMENSION = 64;

  private static float[] unit(Random rng) {
    float[] x = new float[DIMENSION];
    for (int i = 0; i < DIMENSION; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    Vectors.normalize(x);
    return x;
  }

  /** {@code x} moved by {@code noise} in a random direction, renormalised. */
  private static float[] near(float[] x, double noise, Random rng) {
    float[] y = x.clone();
    for (int i = 0; i < DIMENSION; i++) {
      y[i] += (float) (noise * rng.nextGaussian());
    }
    Vectors.normalize(y);
    return y;
  }

  /**
   * What {@link NearIndex#closest} is defined to return, by a plain reading of its contract: of the
   * pooled examples within the signature distance, the {@value NearIndex#MAX_VERIFIED} closest
   * (ties by slot) are checked in that order, stopping at the first that reaches the threshold.
   */
  private static float reference(
      float[] x,
      long[] signature,
      List<long[]> pooledSignatures,
      List<float[]> pooled,
      int maxDistance,
      float threshold) {
    List<int[]> within = new ArrayList<>();
    for (int s = 0; s < pooled.size(); s++) {
      int d = SimHash.distance(signature, 0, pooledSignatures.get(s), 0);
      if (d <= maxDistance) {
        within.add(new int[] {d, s});
      }
    }
    within.sort(Comparator.<int[]>comparingInt(a -> a[0]).thenComparingInt(a -> a[1]));
    float best = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < Math.min(NearIndex.MAX_VERIFIED, within.size()); i++) {
      float sim = Vectors.dot(x, pooled.get(within.get(i)[1]));
      if (sim > best) {
        best = sim;
        if (best >= threshold) {
          break;
        }
      }
    }
    return best;
  }

  @Test
  void shouldCheckTheClosestSignaturesWithinTheDistanceLikeAPlainScan() {
    Random rng = new Random(5);
    SimHash hash = new SimHash(DIMENSION);
    // Given a cluster of 600 examples, a third of them near copies of earlier ones
    List<float[]> pooled = new ArrayList<>();
    List<long[]> signatures = new ArrayList<>();
    NearIndex index = new NearIndex(16);
    for (int s = 0; s < 600; s++) {
      float[] e =
          s > 10 && s % 3 == 0
              ? near(pooled.get(rng.nextInt(s)), 0.02 + 0.1 * rng.nextDouble(), rng)
              : unit(rng);
      long[] sig = new long[SimHash.WORDS];
      hash.signature(e, sig, 0);
      pooled.add(e);
      signatures.add(sig);
      index.put(s, sig);
    }

    // When newcomers, near and far, are looked up at several distances and thresholds
    int nearHits = 0;
    for (int q = 0; q < 400; q++) {
      float[] x =
          q % 2 == 0
              ? near(pooled.get(rng.nextInt(pooled.size())), 0.05 * rng.nextDouble(), rng)
              : unit(rng);
      long[] sig = new long[SimHash.WORDS];
      hash.signature(x, sig, 0);
      for (double epsilon : new double[] {0.01, 0.1, 0.3}) {
        int maxDistance = SimHash.candidateDistance(epsilon);
        float threshold = (float) (1 - epsilon);
        float got = index.closest(x, sig, maxDistance, threshold, slot -> pooled.get((int) slot));

        // Then the index returns what the contract's plain reading does
        float expected = reference(x, sig, signatures, pooled, maxDistance, threshold);
        assertThat(got).as("query %d at epsilon %s", q, epsilon).isEqualTo(expected);
        if (got >= threshold) {
          nearHits++;
        }
      }
    }
    // and the queries exercised both outcomes
    assertThat(nearHits).isBetween(100, 1100);
  }

  @Test
  void shouldForgetASlotsFormerSignatureWhenItIsReplaced() {
    Random rng = new Random(9);
    SimHash hash = new SimHash(DIMENSION);
    float[] first = unit(rng);
    float[] second = unit(rng);
    long[] a = new long[SimHash.WORDS];
    long[] b = new long[SimHash.WORDS];
    hash.signature(first, a, 0);
    hash.signature(second, b, 0);
    float[][] stored = {second};
    NearIndex index = new NearIndex(16);
    // Given slot 0 held the first example, then was replaced by the second
    index.put(0, a);
    index.put(0, b);

    // When the first example comes again
    int maxDistance = SimHash.candidateDistance(0.01);
    float got = index.closest(first, a, maxDistance, 0.99f, slot -> stored[(int) slot]);

    // Then no pooled example is even a candidate: the slot's signature is the second's
    assertThat(got).isEqualTo(Float.NEGATIVE_INFINITY);
    assertThat(index.size()).isEqualTo(1);
  }
}
