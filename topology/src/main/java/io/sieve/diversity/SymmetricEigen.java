package io.sieve.diversity;

/**
 * Eigenvalues of a small symmetric matrix by the cyclic Jacobi method: repeated plane rotations
 * that zero one off-diagonal entry at a time, until the off-diagonal mass is negligible. Quadratic
 * convergence; O(m³) per sweep, fine for the m ≤ 128 matrices of the diversity sketches.
 */
final class SymmetricEigen {

  private static final int MAX_SWEEPS = 100;

  private SymmetricEigen() {}

  /** The eigenvalues of {@code a} (m × m, row-major, symmetric); {@code a} is overwritten. */
  static double[] eigenvalues(double[] a, int m) {
    for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
      double off = 0;
      double diag = 0;
      for (int p = 0; p < m; p++) {
        diag += a[p * m + p] * a[p * m + p];
        for (int q = p + 1; q < m; q++) {
          off += a[p * m + q] * a[p * m + q];
        }
      }
      if (off <= 1e-22 * Math.max(diag, 1e-300)) {
        break;
      }
      for (int p = 0; p < m; p++) {
        for (int q = p + 1; q < m; q++) {
          double apq = a[p * m + q];
          if (Math.abs(apq) < 1e-300) {
            continue;
          }
          double app = a[p * m + p];
          double aqq = a[q * m + q];
          double theta = (aqq - app) / (2 * apq);
          double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          if (theta == 0) {
            t = 1;
          }
          double c = 1 / Math.sqrt(t * t + 1);
          double s = t * c;
          for (int k = 0; k < m; k++) {
            double akp = a[k * m + p];
            double akq = a[k * m + q];
            a[k * m + p] = c * akp - s * akq;
            a[k * m + q] = s * akp + c * akq;
          }
          for (int k = 0; k < m; k++) {
            double apk = a[p * m + k];
            double aqk = a[q * m + k];
            a[p * m + k] = c * apk - s * aqk;
            a[q * m + k] = s * apk + c * aqk;
          }
        }
      }
    }
    double[] values = new double[m];
    for (int i = 0; i < m; i++) {
      values[i] = a[i * m + i];
    }
    return values;
  }
}
