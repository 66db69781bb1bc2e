package io.sieve.cluster;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Batch spherical k-means for unit vectors: k-means++ seeding followed by Lloyd refinement.
 *
 * <p><b>Seeding</b> (Arthur &amp; Vassilvitskii, 2007) with the cosine distance {@code D(x, c) = 1
 * − ⟨x, c⟩}: the first centre is a uniformly random point; each further centre is point {@code x}
 * with probability
 *
 * <pre>
 *   P(x) = D(x)² / Σ_y D(y)²,   D(x) = min_{c chosen} max(0, 1 − ⟨x, c⟩)
 * </pre>
 *
 * so far-away points are favoured and the expected cost is within {@code O(log k)} of optimal. A
 * point identical to a chosen centre has {@code D = 0} and can never be chosen again, so with fewer
 * than {@code k} distinct points fewer centres are returned, never duplicates.
 *
 * <p><b>Refinement</b> alternates assignment {@code a(x) = argmax_i ⟨x, c_i⟩} with the update
 * {@code c_i ← Σ_{a(x)=i} x / ‖Σ_{a(x)=i} x‖₂}, the normalised mean, which minimises {@code Σ (1 −
 * ⟨x, c_i⟩)} over unit {@code c_i}. A centre with no points (or whose points sum to zero) keeps its
 * position. Iteration stops early once no assignment changes.
 *
 * <p>Both steps are deterministic given the input order and the {@link Random}'s seed.
 */
public final class KMeansPlusPlus {

  /** Below this distance a point is compared exactly against the centre to detect duplicates. */
  private static final double DUPLICATE_CHECK_DISTANCE = 1e-4;

  private KMeansPlusPlus() {}

  /**
   * Chooses up to {@code k} distinct points as initial centres by D² sampling.
   *
   * @param points unit vectors of equal dimension (not modified)
   * @return copies of the chosen points, at most {@code k} and at most the number of distinct
   *     points; empty if {@code points} is empty
   */
  public static float[][] seed(List<float[]> points, int k, Random rng) {
    Objects.requireNonNull(rng, "rng");
    if (k < 1) {
      throw new IllegalArgumentException("k must be positive: " + k);
    }
    int n = points.size();
    if (n == 0) {
      return new float[0][];
    }
    int dim = checkDimensions(points);
    float[][] centers = new float[Math.min(k, n)][];
    double[] dist = new double[n];
    Arrays.fill(dist, Double.POSITIVE_INFINITY);

    int chosen = rng.nextInt(n);
    int m = 0;
    while (true) {
      float[] c = points.get(chosen).clone();
      centers[m++] = c;
      if (m == centers.length) {
        break;
      }
      double total = 0;
      for (int i = 0; i < n; i++) {
        float[] p = points.get(i);
        double d = Math.max(0.0, 1.0 - Vectors.dot(p, c, 0, dim));
        if (d < DUPLICATE_CHECK_DISTANCE && Arrays.equals(p, c)) {
          d = 0;
        }
        if (d < dist[i]) {
          dist[i] = d;
        }
        total += dist[i] * dist[i];
      }
      if (!(total > 0)) {
        break;
      }
      chosen = sample(dist, total, rng);
    }
    return m == centers.length ? centers : Arrays.copyOf(centers, m);
  }

  /**
   * Runs up to {@code iterations} spherical Lloyd iterations from {@code centers}.
   *
   * @param points unit vectors of the centres' dimension (not modified)
   * @param centers starting unit centres (not modified)
   * @return the refined centres, one per starting centre, in the same order
   */
  public static float[][] refine(List<float[]> points, float[][] centers, int iterations) {
    if (iterations < 0) {
      throw new IllegalArgumentException("iterations must be non-negative: " + iterations);
    }
    int k = centers.length;
    float[][] out = new float[k][];
    for (int c = 0; c < k; c++) {
      out[c] = centers[c].clone();
    }
    int n = points.size();
    if (k == 0 || n == 0) {
      return out;
    }
    int dim = checkDimensions(points);
    for (float[] c : out) {
      if (c.length != dim) {
        throw new IllegalArgumentException(
            "centre has dimension " + c.length + ", points have " + dim);
      }
    }
    int[] assignment = new int[n];
    Arrays.fill(assignment, -1);
    double[] sums = new double[k * dim];
    for (int it = 0; it < iterations; it++) {
      boolean changed = false;
      for (int i = 0; i < n; i++) {
        int a = nearest(points.get(i), out);
        if (a != assignment[i]) {
          assignment[i] = a;
          changed = true;
        }
      }
      if (!changed) {
        break;
      }
      Arrays.fill(sums, 0.0);
      for (int i = 0; i < n; i++) {
        float[] p = points.get(i);
        int base = assignment[i] * dim;
        for (int j = 0; j < dim; j++) {
          sums[base + j] += p[j];
        }
      }
      for (int c = 0; c < k; c++) {
        int base = c * dim;
        double sq = 0;
        for (int j = 0; j < dim; j++) {
          sq += sums[base + j] * sums[base + j];
        }
        if (sq > 0) {
          double inv = 1.0 / Math.sqrt(sq);
          float[] center = out[c];
          for (int j = 0; j < dim; j++) {
            center[j] = (float) (sums[base + j] * inv);
          }
        }
      }
    }
    return out;
  }

  private static int nearest(float[] x, float[][] centers) {
    int best = 0;
    float bestDot = Vectors.dot(x, centers[0]);
    for (int c = 1; c < centers.length; c++) {
      float d = Vectors.dot(x, centers[c]);
      if (d > bestDot) {
        bestDot = d;
        best = c;
      }
    }
    return best;
  }

  /** Index {@code i} with probability {@code dist[i]² / total}. */
  private static int sample(double[] dist, double total, Random rng) {
    double target = rng.nextDouble() * total;
    double cumulative = 0;
    int last = -1;
    for (int i = 0; i < dist.length; i++) {
      double w = dist[i] * dist[i];
      if (w > 0) {
        cumulative += w;
        last = i;
        if (cumulative > target) {
          return i;
        }
      }
    }
    // rounding can leave the cumulative sum a hair below the target; never pick a zero-weight point
    return last;
  }

  private static int checkDimensions(List<float[]> points) {
    int dim = points.get(0).length;
    for (float[] p : points) {
      if (p.length != dim) {
        throw new IllegalArgumentException(
            "points have mixed dimensions " + dim + " and " + p.length);
      }
    }
    return dim;
  }
}
