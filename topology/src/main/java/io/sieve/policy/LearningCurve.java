package io.sieve.policy;

/**
 * A learning curve with an irreducible floor, {@code L(n) = c + b·n^(−a)} (Cai et al.; Slice
 * Tuner), fitted to validation losses {@code L_i} measured after {@code n_i} examples.
 *
 * <p>Fit: for each candidate floor {@code c} on a grid over {@code [0, 0.98·min L_i)}, weighted
 * least squares in log-log space on {@code (ln n_i, ln(L_i − c))} with weights {@code w_i = n_i}
 * (later points rest on more data):
 *
 * <pre>
 *   slope = (Σw·Σwxy − Σwx·Σwy) / (Σw·Σwx² − (Σwx)²),   a = −slope,   ln b = (Σwy − slope·Σwx) / Σw
 * </pre>
 *
 * and the floor kept is the one whose curve has the least weighted squared error in loss space. A
 * curve falls only when the losses fall with n by more than their scatter explains ({@link
 * #fallsBeyondNoise}: at least three points, the log-log slope {@link #tCritical one-sided 1 % t}
 * standard errors below 0); otherwise, or when every candidate rises, it is flat at the weighted
 * mean loss ({@code a = b = 0}): more data is not predicted to help. With fewer than three points
 * (or a single n) the exponent is the prior {@code a₀}, the floor 0, and the curve goes through the
 * last point; with none it is flat at 0.
 */
public record LearningCurve(double a, double b, double c) {

  /**
   * One-sided 1 % critical values of Student's t for 1..10 degrees of freedom: the log-log slope
   * must lie this many standard errors below 0 for a curve to count as falling. Few points carry
   * heavy tails; with a 5 % test a flat group was read as learning in about one round in ten.
   */
  private static final double[] T_CRITICAL = {
    31.821, 6.965, 4.541, 3.747, 3.365, 3.143, 2.998, 2.896, 2.821, 2.764
  };

  /** The critical value for {@code df} degrees of freedom (≥ 1). */
  static double tCritical(int df) {
    if (df <= T_CRITICAL.length) {
      return T_CRITICAL[df - 1];
    }
    // 2.528 at 20, 2.457 at 30, 2.326 in the limit
    return df <= 20 ? 2.764 - (2.764 - 2.528) * (df - 10) / 10.0 : 2.326 + 2.6 / df;
  }

  /** Grid steps of the floor's search. */
  private static final int FLOOR_STEPS = 50;

  /**
   * Fits the curve to the points {@code (n[i], loss[i])}; points with {@code n < 1} or a loss that
   * is not finite and positive are ignored.
   */
  public static LearningCurve fit(double[] n, double[] loss, double priorA) {
    int m = 0;
    double minLoss = Double.POSITIVE_INFINITY;
    double lastN = 0;
    double lastLoss = 0;
    double distinct = Double.NaN;
    boolean twoN = false;
    for (int i = 0; i < n.length; i++) {
      if (usable(n[i], loss[i])) {
        m++;
        minLoss = Math.min(minLoss, loss[i]);
        if (n[i] >= lastN) {
          lastN = n[i];
          lastLoss = loss[i];
        }
        if (Double.isNaN(distinct)) {
          distinct = n[i];
        } else if (n[i] != distinct) {
          twoN = true;
        }
      }
    }
    if (m == 0) {
      return new LearningCurve(0, 0, 0);
    }
    if (!twoN || m < 3) {
      return new LearningCurve(priorA, lastLoss * Math.pow(lastN, priorA), 0);
    }
    if (!fallsBeyondNoise(n, loss)) {
      return flat(n, loss);
    }
    int steps = FLOOR_STEPS;
    LearningCurve best = null;
    double bestError = Double.POSITIVE_INFINITY;
    for (int k = 0; k < steps; k++) {
      double c = 0.98 * minLoss * k / FLOOR_STEPS;
      LearningCurve curve = powerLaw(n, loss, c);
      if (curve == null) {
        continue;
      }
      double error = 0;
      for (int i = 0; i < n.length; i++) {
        if (usable(n[i], loss[i])) {
          double r = loss[i] - curve.at(n[i]);
          error += n[i] * r * r;
        }
      }
      if (error < bestError) {
        bestError = error;
        best = curve;
      }
    }
    return best != null ? best : flat(n, loss);
  }

  /** The flat curve at the weighted mean loss. */
  private static LearningCurve flat(double[] n, double[] loss) {
    double w = 0;
    double wl = 0;
    for (int i = 0; i < n.length; i++) {
      if (usable(n[i], loss[i])) {
        w += n[i];
        wl += n[i] * loss[i];
      }
    }
    return new LearningCurve(0, 0, wl / w);
  }

  /**
   * Whether the losses fall with n by more than their scatter explains: the weighted log-log slope
   * of the points (weights normalised to sum to the number of points m) is at least {@link
   * #tCritical} standard errors below 0, {@code se² = Σ w r² / ((m − 2)·Σ w (x − x̄)²)}. Validation
   * losses are noisy; without this test a flat group's noise reads as a curve that still falls, and
   * data is poured into what cannot be learnt.
   */
  static boolean fallsBeyondNoise(double[] n, double[] loss) {
    int m = 0;
    double sw = 0;
    for (int i = 0; i < n.length; i++) {
      if (usable(n[i], loss[i])) {
        m++;
        sw += n[i];
      }
    }
    if (m < 3) {
      return false;
    }
    double mx = 0;
    double my = 0;
    for (int i = 0; i < n.length; i++) {
      if (usable(n[i], loss[i])) {
        mx += n[i] / sw * Math.log(n[i]);
        my += n[i] / sw * Math.log(loss[i]);
      }
    }
    double sxx = 0;
    double sxy = 0;
    for (int i = 0; i < n.length; i++) {
      if (usable(n[i], loss[i])) {
        double w = n[i] * m / sw;
        sxx += w * (Math.log(n[i]) - mx) * (Math.log(n[i]) - mx);
        sxy += w * (Math.log(n[i]) - mx) * (Math.log(loss[i]) - my);
      }
    }
    if (!(sxx > 0)) {
      return false;
    }
    double slope = sxy / sxx;
    double rss = 0;
    for (int i = 0; i < n.length; i++) {
      if (usable(n[i], loss[i])) {
        double w = n[i] * m / sw;
        double r = Math.log(loss[i]) - my - slope * (Math.log(n[i]) - mx);
        rss += w * r * r;
      }
    }
    double se = Math.sqrt(rss / ((m - 2) * sxx));
    return slope < 0 && slope <= -tCritical(m - 2) * se;
  }

  /** The weighted log-log fit of {@code L − c}, or null when it does not fall with n. */
  private static LearningCurve powerLaw(double[] n, double[] loss, double c) {
    double sw = 0;
    double sx = 0;
    double sy = 0;
    double sxx = 0;
    double sxy = 0;
    for (int i = 0; i < n.length; i++) {
      if (usable(n[i], loss[i])) {
        double w = n[i];
        double x = Math.log(n[i]);
        double y = Math.log(loss[i] - c);
        sw += w;
        sx += w * x;
        sy += w * y;
        sxx += w * x * x;
        sxy += w * x * y;
      }
    }
    double denom = sw * sxx - sx * sx;
    if (!(denom > 1e-12 * Math.max(1, sw * sxx))) {
      return null;
    }
    double slope = (sw * sxy - sx * sy) / denom;
    if (!(slope < 0)) {
      return null;
    }
    return new LearningCurve(-slope, Math.exp((sy - slope * sx) / sw), c);
  }

  private static boolean usable(double n, double loss) {
    return n >= 1 && loss > 0 && Double.isFinite(loss) && Double.isFinite(n);
  }

  /** Whether more data is predicted to lower the loss at all. */
  public boolean falls() {
    return a > 0 && b > 0;
  }

  /** Predicted loss after {@code n} examples (n below 1 reads as 1). */
  public double at(double n) {
    return c + b * Math.pow(Math.max(n, 1), -a);
  }

  /**
   * Examples needed for the predicted loss to come down to {@code level}: 1 if it already is there
   * at one example, infinity if the level is at or below the floor or the curve does not fall.
   */
  public double examplesFor(double level) {
    if (level >= at(1)) {
      return 1;
    }
    if (!falls() || level <= c) {
      return Double.POSITIVE_INFINITY;
    }
    return Math.pow(b / (level - c), 1 / a);
  }
}
