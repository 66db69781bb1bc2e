package io.sieve.policy;

/**
 * Numerically stable log-space helpers: {@code logsumexp(x) = m + ln Σ exp(x_i − m)} with {@code m
 * = max x}, so no term overflows and at least one term is exactly 1; {@code softmax(x)_i = exp(x_i
 * − logsumexp(x))}.
 */
public final class LogSpace {

  private LogSpace() {}

  public static double logSumExp(double[] x) {
    double m = Double.NEGATIVE_INFINITY;
    for (double v : x) {
      m = Math.max(m, v);
    }
    if (m == Double.NEGATIVE_INFINITY) {
      return m;
    }
    double s = 0;
    for (double v : x) {
      s += Math.exp(v - m);
    }
    return m + Math.log(s);
  }

  /** {@code softmax(x)}; an empty input gives an empty output. */
  public static double[] softmax(double[] x) {
    double lse = logSumExp(x);
    double[] p = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      p[i] = Math.exp(x[i] - lse);
    }
    return p;
  }
}
