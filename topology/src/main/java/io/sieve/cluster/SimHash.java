package io.sieve.cluster;

import io.sieve.simd.VectorKernels;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Sign random projections (Charikar 2002): a {@value #BITS}-bit signature per vector, bit {@code b}
 * being the sign of {@code ⟨x, r_b⟩} for a fixed random unit direction {@code r_b}. For two vectors
 * at angle θ each bit differs with probability θ/π, so the Hamming distance of their signatures
 * estimates the angle, and a cosine threshold becomes a Hamming threshold that a scan of 4 words
 * per vector can test.
 *
 * <p>The directions are the first {@value #BITS} rows of a pseudo-random rotation, {@code H·D₃·H·D₂
 * ·H·D₁} over the vector zero-padded to {@code n}, the next power of two of at least {@code
 * max(dimension, BITS)}: {@code H} the Walsh–Hadamard transform, each {@code D} a fixed diagonal of
 * random signs (the structured rotation of cross-polytope LSH, Andoni et al. 2015). Three
 * transforms cost {@code 3·n·log₂ n} additions (13,824 at 384 dimensions) where {@value #BITS}
 * Gaussian hyperplanes cost {@code BITS·dimension} multiply-adds (98,304) and a table of {@code
 * BITS·dimension} floats (384 KiB, beyond the core's caches) read for every vector; the rows are
 * orthogonal, so the bits' errors are if anything less correlated than independent hyperplanes'.
 *
 * <p>The signs are drawn from a fixed seed, so every instance and every restart computes the same
 * signature for the same vector (up to the sign of a projection within rounding of zero: such a bit
 * is as good as random, and the threshold's margin absorbs it). Signatures live in memory only (the
 * pool rebuilds them from its store after a start), so the family may change between versions.
 *
 * <p>Immutable and thread-safe; {@link #signature} uses one scratch array per thread.
 */
public final class SimHash {

  /** Bits per signature. */
  public static final int BITS = 256;

  /** 64-bit words per signature. */
  public static final int WORDS = BITS / Long.SIZE;

  /**
   * Standard deviations of slack in {@link #candidateDistance}: a pair exactly at the threshold is
   * missed with probability about 0.1 %, a closer pair less often.
   */
  static final double MARGIN_SIGMAS = 3.0;

  /** Sign-and-transform rounds of the rotation. */
  private static final int ROUNDS = 3;

  private static final long SEED = 0x5173_4e44_5550_4c53L;

  private final int dimension;
  private final int n;
  private final float[][] signs;
  private final ThreadLocal<float[]> scratch;

  public SimHash(int dimension) {
    if (dimension < 1) {
      throw new IllegalArgumentException("dimension must be positive: " + dimension);
    }
    this.dimension = dimension;
    this.n = Integer.highestOneBit(Math.max(dimension, BITS) - 1) << 1;
    this.signs = new float[ROUNDS][n];
    SplittableRandom rng = new SplittableRandom(SEED);
    for (float[] d : signs) {
      for (int i = 0; i < n; i++) {
        d[i] = rng.nextBoolean() ? 1f : -1f;
      }
    }
    int size = n;
    this.scratch = ThreadLocal.withInitial(() -> new float[size]);
  }

  public int dimension() {
    return dimension;
  }

  /** Writes the signature of {@code x} into {@code out[offset .. offset + WORDS)}. */
  public void signature(float[] x, long[] out, int offset) {
    if (x.length != dimension) {
      throw new IllegalArgumentException(
          "vector has " + x.length + " values, expected " + dimension);
    }
    float[] v = scratch.get();
    System.arraycopy(x, 0, v, 0, dimension);
    Arrays.fill(v, dimension, n, 0f);
    for (float[] d : signs) {
      for (int i = 0; i < n; i++) {
        v[i] *= d[i];
      }
      transform(v);
    }
    for (int w = 0; w < WORDS; w++) {
      long word = 0L;
      for (int b = 0; b < Long.SIZE; b++) {
        if (v[w * Long.SIZE + b] >= 0f) {
          word |= 1L << b;
        }
      }
      out[offset + w] = word;
    }
  }

  /**
   * The unnormalised Walsh–Hadamard transform of {@code v} (its length a power of two), in place;
   * with the Vector API its wide stages run a vector at a time, with the same result bit for bit.
   */
  static void transform(float[] v) {
    if (NearestSearch.VECTOR) {
      hadamard(v, VectorKernels.lanes());
      VectorKernels.hadamardWideStages(v);
    } else {
      hadamard(v);
    }
  }

  /** The scalar transform. */
  static void hadamard(float[] v) {
    hadamard(v, v.length);
  }

  /** The stages whose butterflies pair elements fewer than {@code below} apart, scalar. */
  private static void hadamard(float[] v, int below) {
    int n = v.length;
    for (int h = 1; h < n && h < below; h <<= 1) {
      for (int i = 0; i < n; i += h << 1) {
        for (int j = i; j < i + h; j++) {
          float a = v[j];
          float b = v[j + h];
          v[j] = a + b;
          v[j + h] = a - b;
        }
      }
    }
  }

  /** The Hamming distance between the signatures at {@code a[i..]} and {@code b[j..]}. */
  public static int distance(long[] a, int i, long[] b, int j) {
    int d = 0;
    for (int w = 0; w < WORDS; w++) {
      d += Long.bitCount(a[i + w] ^ b[j + w]);
    }
    return d;
  }

  /**
   * The largest Hamming distance at which a pair may still have cosine similarity {@code ≥ 1 − ε}:
   * the expected distance at that cosine, {@code BITS·θ/π}, plus {@value #MARGIN_SIGMAS} binomial
   * standard deviations.
   */
  public static int candidateDistance(double epsilon) {
    double cos = Math.max(-1.0, Math.min(1.0, 1.0 - epsilon));
    double p = Math.acos(cos) / Math.PI;
    double mean = BITS * p;
    double sd = Math.sqrt(BITS * p * (1 - p));
    return (int) Math.min(BITS, Math.ceil(mean + MARGIN_SIGMAS * sd));
  }
}
