package io.sieve.benchmarks;

import io.sieve.cluster.NearestSearch;

/**
 * Scalar kernels of the nearest-centre search {@code argmax_r ⟨x, c_r⟩} over a row-major {@code k ×
 * d} matrix, measured against the production Vector API one ({@code io.sieve.simd.VectorKernels}).
 */
public final class NearestKernels {

  private NearestKernels() {}

  /** One accumulator per row: every add waits for the previous one. */
  public static int plain(float[] x, float[] flat, int k, int d) {
    int best = -1;
    float bestDot = Float.NEGATIVE_INFINITY;
    for (int r = 0, off = 0; r < k; r++, off += d) {
      float s = 0f;
      for (int i = 0; i < d; i++) {
        s += x[i] * flat[off + i];
      }
      if (s > bestDot) {
        bestDot = s;
        best = r;
      }
    }
    return best;
  }

  /** The production fallback without the Vector API: four accumulators per row. */
  public static int scalar4(float[] x, float[] flat, int k, int d) {
    return NearestSearch.scalarNearest(x, flat, k, d);
  }

  /** Eight scalar accumulators per row. */
  public static int scalar8(float[] x, float[] flat, int k, int d) {
    int best = -1;
    float bestDot = Float.NEGATIVE_INFINITY;
    int end = d & ~7;
    for (int r = 0, off = 0; r < k; r++, off += d) {
      float s0 = 0f;
      float s1 = 0f;
      float s2 = 0f;
      float s3 = 0f;
      float s4 = 0f;
      float s5 = 0f;
      float s6 = 0f;
      float s7 = 0f;
      int i = 0;
      for (; i < end; i += 8) {
        s0 += x[i] * flat[off + i];
        s1 += x[i + 1] * flat[off + i + 1];
        s2 += x[i + 2] * flat[off + i + 2];
        s3 += x[i + 3] * flat[off + i + 3];
        s4 += x[i + 4] * flat[off + i + 4];
        s5 += x[i + 5] * flat[off + i + 5];
        s6 += x[i + 6] * flat[off + i + 6];
        s7 += x[i + 7] * flat[off + i + 7];
      }
      for (; i < d; i++) {
        s0 += x[i] * flat[off + i];
      }
      float s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
      if (s > bestDot) {
        bestDot = s;
        best = r;
      }
    }
    return best;
  }
}
