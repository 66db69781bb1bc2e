package io.sieve.cluster;

import io.sieve.simd.VectorKernels;

/**
 * The kernel behind nearest-centre search and near-duplicate checks: {@code ⟨x, row⟩} for rows of a
 * flat row-major matrix.
 *
 * <p>With the JDK Vector API available (the JVM started with {@code --add-modules
 * jdk.incubator.vector}, as {@code bin/sieve} and the tests do) it uses {@link VectorKernels},
 * about 3–4× faster than four scalar accumulators at d = 384 on an AVX-512 machine (README,
 * "Benchmarks"); otherwise, or with {@code -Dsieve.simd=false}, the scalar {@link Vectors#dot}. The
 * choice is fixed when this class loads, so the JIT folds the branch away. The two kernels sum in
 * different orders: a point almost exactly between two centres may be assigned differently by
 * instances that run different kernels, never inconsistently by one.
 */
public final class NearestSearch {

  /** Whether the Vector API kernel is in use. */
  public static final boolean VECTOR =
      ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
          && !"false".equals(System.getProperty("sieve.simd"));

  private NearestSearch() {}

  /** {@code Σ_{i<d} x_i · flat_{offset+i}}; bounds are the caller's to check. */
  public static float dot(float[] x, float[] flat, int offset, int d) {
    return VECTOR ? VectorKernels.dot(x, flat, offset, d) : Vectors.dot(x, flat, offset, d);
  }

  /** {@code argmax_r ⟨x, row_r⟩} over {@code k} rows, ties to the lowest; −1 if none wins. */
  public static int nearest(float[] x, float[] flat, int k, int d) {
    return VECTOR ? VectorKernels.nearest(x, flat, k, d) : scalarNearest(x, flat, k, d);
  }

  /** The fallback without the Vector API: {@link Vectors#dot} (four accumulators) per row. */
  public static int scalarNearest(float[] x, float[] flat, int k, int d) {
    int best = -1;
    float bestDot = Float.NEGATIVE_INFINITY;
    for (int r = 0, off = 0; r < k; r++, off += d) {
      float s = Vectors.dot(x, flat, off, d);
      if (s > bestDot) {
        bestDot = s;
        best = r;
      }
    }
    return best;
  }
}
