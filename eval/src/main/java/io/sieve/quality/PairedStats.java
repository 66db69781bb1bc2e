package io.sieve.quality;

import java.util.Arrays;

/**
 * Paired differences across seeds: seed s of a policy and seed s of the baseline share the split,
 * the stream order and the model's initialisation, so the difference d_s = a_s − b_s removes what
 * the seeds have in common. The mean of d is reported with a two-sided 95 % Student-t interval,
 * mean ± t_{0.975, n−1} · sd(d)/√n; a "win" is an interval entirely above 0.
 */
final class PairedStats {

  /** Mean paired difference, the interval's bounds, and the number of pairs. */
  record Delta(double mean, double low, double high, int pairs) {
    boolean above0() {
      return pairs >= 2 && low > 0;
    }

    boolean below0() {
      return pairs >= 2 && high < 0;
    }
  }

  // t_{0.975, df} for df = 1..30
  private static final double[] T975 = {
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042
  };

  private PairedStats() {}

  /** The 0.975 quantile of Student's t with {@code df} degrees of freedom (normal past 30). */
  static double t975(int df) {
    if (df < 1) {
      return Double.NaN;
    }
    return df <= T975.length ? T975[df - 1] : 1.960;
  }

  /**
   * Paired Δ of {@code a} over {@code b}; pairs where either side is NaN are left out. With one
   * pair the interval is NaN (undefined).
   */
  static Delta delta(double[] a, double[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("unpaired: " + a.length + " vs " + b.length);
    }
    double[] d = new double[a.length];
    int n = 0;
    for (int i = 0; i < a.length; i++) {
      if (!Double.isNaN(a[i]) && !Double.isNaN(b[i])) {
        d[n++] = a[i] - b[i];
      }
    }
    if (n == 0) {
      return new Delta(Double.NaN, Double.NaN, Double.NaN, 0);
    }
    double[] pairs = Arrays.copyOf(d, n);
    double mean = mean(pairs);
    if (n == 1) {
      return new Delta(mean, Double.NaN, Double.NaN, 1);
    }
    double sd = std(pairs);
    double half = t975(n - 1) * sd / Math.sqrt(n);
    return new Delta(mean, mean - half, mean + half, n);
  }

  /** The mean; NaN for no values. */
  static double mean(double[] v) {
    if (v.length == 0) {
      return Double.NaN;
    }
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s / v.length;
  }

  /** Sample standard deviation (n − 1); 0 for a single value. */
  static double std(double[] v) {
    if (v.length < 2) {
      return 0;
    }
    double m = mean(v);
    double s = 0;
    for (double x : v) {
      s += (x - m) * (x - m);
    }
    return Math.sqrt(s / (v.length - 1));
  }
}
