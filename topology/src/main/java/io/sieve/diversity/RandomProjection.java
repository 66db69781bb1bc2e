package io.sieve.diversity;

import io.sieve.cluster.NearestSearch;
import java.util.SplittableRandom;

/**
 * A seeded Gaussian random projection to a small dimension, followed by renormalisation to unit
 * length (Johnson–Lindenstrauss: inner products, hence the spectrum that the Vendi score reads, are
 * preserved up to small distortion). The same seed gives the same projection in every instance, so
 * sketches made anywhere can be merged.
 */
public final class RandomProjection {

  private final int from;
  private final int to;
  private final float[] matrix;

  public RandomProjection(int from, int to, long seed) {
    this.from = from;
    this.to = to;
    this.matrix = new float[from * to];
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < matrix.length; i++) {
      matrix[i] = (float) gaussian(rng);
    }
  }

  public int outputDimension() {
    return to;
  }

  /** Projects a vector of the input dimension and scales the result to unit length. */
  public float[] project(float[] x) {
    if (x.length != from) {
      throw new IllegalArgumentException("vector of dimension " + x.length + ", expected " + from);
    }
    float[] y = new float[to];
    double norm = 0;
    for (int j = 0; j < to; j++) {
      // one row of the matrix against x, on the same kernel as the nearest-centre search
      float s = NearestSearch.dot(x, matrix, j * from, from);
      y[j] = s;
      norm += (double) s * s;
    }
    if (norm > 0) {
      float inv = (float) (1 / Math.sqrt(norm));
      for (int j = 0; j < to; j++) {
        y[j] *= inv;
      }
    }
    return y;
  }

  private static double gaussian(SplittableRandom rng) {
    double u = rng.nextDouble();
    double v = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(Math.max(u, 1e-300))) * Math.cos(2 * Math.PI * v);
  }
}
