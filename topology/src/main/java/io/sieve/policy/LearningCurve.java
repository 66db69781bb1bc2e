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
 * and the floor kept is the one whose curve has the least weighted squared error in loss space. The
 * floor needs at least three points (two points fit a pure power law exactly, {@code c = 0}). When
 * every candidate rises ({@code slope ≥ 0}) the curve is flat at the weighted mean loss ({@code a =
 * b = 0}): more data is not predicted to help. With a single point the exponent is the prior {@code
 * a₀}, the floor 0, and the curve goes through the point; with none it is flat at 0.
 */
public record LearningCurve(double a, double b, double c) {

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
    if (!twoN) {
      return new LearningCurve(priorA, lastLoss * Math.pow(lastN, priorA), 0);
    }
    int steps = m >= 3 ? FLOOR_STEPS : 1;
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
    if (best != null) {
      return best;
    }
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
