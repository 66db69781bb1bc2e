package io.sieve.cluster;

import java.util.SplittableRandom;

/**
 * Sign random projections (Charikar 2002): a {@value #BITS}-bit signature per vector, bit {@code b}
 * being the sign of {@code ⟨x, h_b⟩} for a fixed Gaussian hyperplane {@code h_b}. For two vectors
 * at angle θ each bit differs with probability θ/π, so the Hamming distance of their signatures
 * estimates the angle, and a cosine threshold becomes a Hamming threshold that a scan of 4 words
 * per vector can test.
 *
 * <p>The hyperplanes are drawn from a fixed seed, so every instance and every restart computes the
 * same signature for the same vector (up to the sign of a projection within rounding of zero, which
 * the kernels may sum in different orders: such a bit is as good as random, and the threshold's
 * margin absorbs it).
 *
 * <p>Immutable and thread-safe; {@link #signature} allocates nothing.
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

  private static final long SEED = 0x5173_4e44_5550_4c53L;

  private final int dimension;
  private final float[] planes;

  public SimHash(int dimension) {
    if (dimension < 1) {
      throw new IllegalArgumentException("dimension must be positive: " + dimension);
    }
    this.dimension = dimension;
    this.planes = new float[BITS * dimension];
    SplittableRandom rng = new SplittableRandom(SEED);
    for (int i = 0; i < planes.length; i++) {
      planes[i] = (float) gaussian(rng);
    }
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
    for (int w = 0; w < WORDS; w++) {
      long word = 0L;
      for (int b = 0; b < Long.SIZE; b++) {
        int plane = w * Long.SIZE + b;
        if (NearestSearch.dot(x, planes, plane * dimension, dimension) >= 0f) {
          word |= 1L << b;
        }
      }
      out[offset + w] = word;
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

  private static double gaussian(SplittableRandom rng) {
    // Box–Muller; the hyperplanes only need a rotation-invariant direction
    double u = 1.0 - rng.nextDouble();
    double v = rng.nextDouble();
    return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2.0 * Math.PI * v);
  }
}
