package io.sieve.diversity;

/**
 * The Vendi score (Friedman and Dieng): for unit-norm embeddings x_1..x_n, VS = exp(−Σ λ_i log λ_i)
 * over the eigenvalues λ of K = XᵀX / n. It is the exponential of the Shannon entropy of the
 * spectrum, an "effective number of distinct directions": 1 for n copies of one vector, d for
 * points spread evenly over d orthogonal directions. Since trace(K) = 1 for unit rows, the
 * eigenvalues are a distribution; with a running second moment (see {@link SecondMoment}) the score
 * of any union of sets is cheap.
 */
public final class Vendi {

  private Vendi() {}

  /** Vendi score of unit-norm rows; 0 for an empty set. */
  public static double score(float[][] rows) {
    if (rows.length == 0) {
      return 0;
    }
    int d = rows[0].length;
    SecondMoment m = new SecondMoment(d);
    for (float[] r : rows) {
      m.add(r);
    }
    return m.vendi();
  }

  /** exp(entropy) of the normalised non-negative spectrum. */
  static double fromEigenvalues(double[] eigenvalues) {
    double total = 0;
    for (double l : eigenvalues) {
      if (l > 0) {
        total += l;
      }
    }
    if (total <= 0) {
      return 0;
    }
    double h = 0;
    for (double l : eigenvalues) {
      if (l > 1e-15 * total) {
        double p = l / total;
        h -= p * Math.log(p);
      }
    }
    return Math.exp(h);
  }
}
