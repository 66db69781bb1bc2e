package io.sieve.diversity;

/**
 * A running Σ x xᵀ (upper triangle kept; the matrix is symmetric) over vectors of a fixed (small)
 * dimension, with its count. It is additive, so the moments of clusters merge into the moment of
 * their union, and {@link #vendi()} gives the Vendi score of everything added. For large
 * embeddings, add a {@link RandomProjection} of them.
 */
public final class SecondMoment {

  private final int dimension;
  private final double[] sum;
  private long count;

  public SecondMoment(int dimension) {
    this.dimension = dimension;
    this.sum = new double[dimension * dimension];
  }

  /** Rebuilds a moment from its packed upper triangle (see {@link #upperTriangle()}). */
  public static SecondMoment of(int dimension, long count, double[] upper) {
    SecondMoment m = new SecondMoment(dimension);
    int k = 0;
    for (int i = 0; i < dimension; i++) {
      for (int j = i; j < dimension; j++) {
        m.sum[i * dimension + j] = upper[k];
        m.sum[j * dimension + i] = upper[k];
        k++;
      }
    }
    m.count = count;
    return m;
  }

  public int dimension() {
    return dimension;
  }

  public long count() {
    return count;
  }

  public void add(float[] x) {
    add(x, 1);
  }

  /** Adds (sign = 1) or removes (sign = −1) a vector, for pools that evict. */
  public void add(float[] x, int sign) {
    if (x.length != dimension) {
      throw new IllegalArgumentException(
          "vector of dimension " + x.length + ", expected " + dimension);
    }
    for (int i = 0; i < dimension; i++) {
      double xi = sign * (double) x[i];
      int row = i * dimension;
      for (int j = i; j < dimension; j++) {
        sum[row + j] += xi * x[j];
      }
    }
    count += sign;
  }

  public void merge(SecondMoment other) {
    if (other.dimension != dimension) {
      throw new IllegalArgumentException("dimensions differ");
    }
    for (int i = 0; i < sum.length; i++) {
      sum[i] += other.sum[i];
    }
    count += other.count;
  }

  /** The Vendi score of the vectors added; 0 when empty. */
  public double vendi() {
    if (count <= 0) {
      return 0;
    }
    double[] full = sum.clone();
    for (int i = 0; i < dimension; i++) {
      for (int j = 0; j < i; j++) {
        full[i * dimension + j] = full[j * dimension + i];
      }
    }
    return Vendi.fromEigenvalues(SymmetricEigen.eigenvalues(full, dimension));
  }

  /** The upper triangle, row by row: what a store needs to keep. */
  public double[] upperTriangle() {
    double[] out = new double[dimension * (dimension + 1) / 2];
    int k = 0;
    for (int i = 0; i < dimension; i++) {
      for (int j = i; j < dimension; j++) {
        out[k++] = sum[i * dimension + j];
      }
    }
    return out;
  }
}
