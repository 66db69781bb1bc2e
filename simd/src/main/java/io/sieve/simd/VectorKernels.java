package io.sieve.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of one vector with every row of a row-major {@code k × d} matrix on the JDK Vector
 * API: one fused multiply-add per {@code L} lanes ({@code L} = 16 floats with AVX-512, 8 with
 * AVX2), two vector accumulators per row to hide the FMA latency, one lane reduction per row, and a
 * scalar tail for {@code d mod L}.
 *
 * <p>Loading this class needs {@code --add-modules jdk.incubator.vector} on the JVM; callers check
 * that the module is present first (see {@code io.sieve.cluster.NearestSearch}). The summation
 * order depends on {@code L}, so results may differ from a scalar loop, or between machines of
 * different vector width, in the last bits.
 */
public final class VectorKernels {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

  private VectorKernels() {}

  /** Lanes per vector on this machine. */
  public static int lanes() {
    return SPECIES.length();
  }

  /**
   * The stages of an unnormalised Walsh–Hadamard transform of {@code v} (its length a power of two)
   * whose butterflies pair elements at least a vector apart, {@code h = lanes() .. n/2}, in place,
   * a vector at a time; the caller has run the narrower stages. Every element goes through the same
   * additions in the same order as in a scalar transform, so the result is identical to it.
   */
  public static void hadamardWideStages(float[] v) {
    int n = v.length;
    int lanes = SPECIES.length();
    // h and the lanes are powers of two and h >= lanes: every block is whole vectors
    for (int h = lanes; h < n; h <<= 1) {
      for (int i = 0; i < n; i += h << 1) {
        for (int j = i; j < i + h; j += lanes) {
          FloatVector a = FloatVector.fromArray(SPECIES, v, j);
          FloatVector b = FloatVector.fromArray(SPECIES, v, j + h);
          a.add(b).intoArray(v, j);
          a.sub(b).intoArray(v, j + h);
        }
      }
    }
  }

  /** {@code Σ_{i<d} x_i · flat_{offset+i}}. */
  public static float dot(float[] x, float[] flat, int offset, int d) {
    int lanes = SPECIES.length();
    int end2 = d - d % (2 * lanes);
    int end = SPECIES.loopBound(d);
    FloatVector a0 = FloatVector.zero(SPECIES);
    FloatVector a1 = FloatVector.zero(SPECIES);
    int i = 0;
    for (; i < end2; i += 2 * lanes) {
      a0 =
          FloatVector.fromArray(SPECIES, x, i)
              .fma(FloatVector.fromArray(SPECIES, flat, offset + i), a0);
      a1 =
          FloatVector.fromArray(SPECIES, x, i + lanes)
              .fma(FloatVector.fromArray(SPECIES, flat, offset + i + lanes), a1);
    }
    for (; i < end; i += lanes) {
      a0 =
          FloatVector.fromArray(SPECIES, x, i)
              .fma(FloatVector.fromArray(SPECIES, flat, offset + i), a0);
    }
    float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
    for (; i < d; i++) {
      s += x[i] * flat[offset + i];
    }
    return s;
  }

  /**
   * {@code argmax_r ⟨x, row_r⟩} over {@code k} rows of length {@code d}, ties to the lowest row; −1
   * when {@code k = 0} or every product is NaN.
   */
  public static int nearest(float[] x, float[] flat, int k, int d) {
    int best = -1;
    float bestDot = Float.NEGATIVE_INFINITY;
    for (int r = 0, off = 0; r < k; r++, off += d) {
      float s = dot(x, flat, off, d);
      if (s > bestDot) {
        bestDot = s;
        best = r;
      }
    }
    return best;
  }
}
