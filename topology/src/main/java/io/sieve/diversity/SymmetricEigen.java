package io.sieve.diversity;

/**
 * Eigenvalues of a small symmetric matrix: a Householder reduction to tridiagonal form, then the
 * implicit QL method with Wilkinson shifts (as in EISPACK's tred1 and tql1). About (4/3)·m³
 * operations for the reduction and O(m²) for the QL iterations; no eigenvectors are formed. The
 * cyclic Jacobi method this replaced needed several sweeps of 4·m³ each: at m = 32, the pool's
 * statistics publication spent a fifth of the stream threads' time in it at k = 256.
 */
final class SymmetricEigen {

  /** QL iterations per eigenvalue at most; two or three are usual. */
  private static final int MAX_ITERATIONS = 60;

  private SymmetricEigen() {}

  /** The eigenvalues of {@code a} (m × m, row-major, symmetric); {@code a} is overwritten. */
  static double[] eigenvalues(double[] a, int m) {
    double[] d = new double[m];
    double[] e = new double[m];
    tridiagonalize(a, m, d, e);
    ql(d, e, m);
    return d;
  }

  /**
   * Householder reduction of {@code a} to a symmetric tridiagonal matrix with the same eigenvalues:
   * its diagonal in {@code d}, its subdiagonal in {@code e[0..m−2]} ({@code e[i]} joins rows i and
   * i+1).
   */
  private static void tridiagonalize(double[] a, int m, double[] d, double[] e) {
    double[] v = new double[m];
    double[] p = new double[m];
    for (int k = 0; k < m - 2; k++) {
      // the column below the diagonal, x = a[k+1.., k]
      double norm2 = 0;
      for (int i = k + 1; i < m; i++) {
        norm2 += a[i * m + k] * a[i * m + k];
      }
      double x0 = a[(k + 1) * m + k];
      if (norm2 == 0 || norm2 == x0 * x0) {
        continue; // already tridiagonal in this column
      }
      double alpha = x0 > 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
      // v = x − αe₁; H = I − 2vvᵀ/(vᵀv) maps x to αe₁
      double vv = 0;
      for (int i = k + 1; i < m; i++) {
        v[i] = a[i * m + k];
      }
      v[k + 1] -= alpha;
      for (int i = k + 1; i < m; i++) {
        vv += v[i] * v[i];
      }
      double beta = 2 / vv;
      // the trailing block B ← HBH = B − vqᵀ − qvᵀ with p = βBv, q = p − (β/2)(vᵀp)v
      double vp = 0;
      for (int i = k + 1; i < m; i++) {
        double s = 0;
        for (int j = k + 1; j < m; j++) {
          s += a[i * m + j] * v[j];
        }
        p[i] = beta * s;
        vp += v[i] * p[i];
      }
      double half = beta * vp / 2;
      for (int i = k + 1; i < m; i++) {
        p[i] -= half * v[i];
      }
      for (int i = k + 1; i < m; i++) {
        for (int j = k + 1; j < m; j++) {
          a[i * m + j] -= v[i] * p[j] + p[i] * v[j];
        }
      }
      a[(k + 1) * m + k] = alpha;
      a[k * m + k + 1] = alpha;
      for (int i = k + 2; i < m; i++) {
        a[i * m + k] = 0;
        a[k * m + i] = 0;
      }
    }
    for (int i = 0; i < m; i++) {
      d[i] = a[i * m + i];
      e[i] = i + 1 < m ? a[(i + 1) * m + i] : 0;
    }
  }

  /**
   * Eigenvalues of the symmetric tridiagonal matrix (d, e) by the implicit QL method with shifts;
   * {@code d} receives them, {@code e} is destroyed.
   */
  private static void ql(double[] d, double[] e, int m) {
    for (int l = 0; l < m; l++) {
      for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
        // the first negligible subdiagonal entry at or after l splits the matrix
        int n = l;
        while (n < m - 1) {
          double dd = Math.abs(d[n]) + Math.abs(d[n + 1]);
          if (Math.abs(e[n]) <= 0x1p-53 * dd) {
            break;
          }
          n++;
        }
        if (n == l) {
          break; // d[l] is an eigenvalue
        }
        double g = (d[l + 1] - d[l]) / (2 * e[l]);
        double r = Math.sqrt(g * g + 1);
        g = d[n] - d[l] + e[l] / (g + Math.copySign(r, g));
        double s = 1;
        double c = 1;
        double p = 0;
        boolean deflated = false;
        for (int i = n - 1; i >= l; i--) {
          double f = s * e[i];
          double b = c * e[i];
          r = Math.sqrt(f * f + g * g);
          e[i + 1] = r;
          if (r == 0) {
            // underflow: the matrix splits here; start again from l
            d[i + 1] -= p;
            e[n] = 0;
            deflated = true;
            break;
          }
          s = f / r;
          c = g / r;
          g = d[i + 1] - p;
          r = (d[i] - g) * s + 2 * c * b;
          p = s * r;
          d[i + 1] = g + p;
          g = c * r - b;
        }
        if (deflated) {
          continue;
        }
        d[l] -= p;
        e[l] = g;
        e[n] = 0;
      }
    }
  }
}
