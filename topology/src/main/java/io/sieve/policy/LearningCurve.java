package io.sieve.policy;

/**
 * A power-law learning curve {@code L(n) = b·n^(−a)} fitted by weighted least squares in log-log
 * space: with {@code x = ln n}, {@code y = ln L} and weights w,
 *
 * <pre>
 *   slope = (Σw·Σwxy − Σwx·Σwy) / (Σw·Σwx² − (Σwx)²),   a = −slope,   ln b = (Σwy − slope·Σwx) / Σw
 * </pre>
 *
 * A rising fit ({@code slope ≥ 0}) is read as a flat curve at the weighted geometric mean loss
 * ({@code a = 0}): more data is not predicted to hurt. With fewer than two distinct n the exponent
 * is the prior {@code a₀} and the curve goes through the last point.
 */
public record LearningCurve(double a, double b) {

  /** Running sums of one group's points, as kept in the policy state. */
  public record Sums(
      double w, double x, double y, double xx, double xy, double lastN, double lastLoss) {

    public Sums add(double n, double loss, double weight) {
      double lx = Math.log(n);
      double ly = Math.log(loss);
      return new Sums(
          w + weight,
          x + weight * lx,
          y + weight * ly,
          xx + weight * lx * lx,
          xy + weight * lx * ly,
          n,
          loss);
    }
  }

  public static LearningCurve fit(Sums s, double priorA) {
    double denom = s.w() * s.xx() - s.x() * s.x();
    if (s.w() > 0 && denom > 1e-9 * Math.max(1, s.w() * s.xx())) {
      double slope = (s.w() * s.xy() - s.x() * s.y()) / denom;
      if (slope >= 0) {
        return new LearningCurve(0, Math.exp(s.y() / s.w()));
      }
      return new LearningCurve(-slope, Math.exp((s.y() - slope * s.x()) / s.w()));
    }
    if (s.lastN() > 0 && s.lastLoss() > 0) {
      return new LearningCurve(priorA, s.lastLoss() * Math.pow(s.lastN(), priorA));
    }
    return new LearningCurve(priorA, 1.0);
  }

  /** Predicted loss after {@code n} examples (n below 1 reads as 1). */
  public double at(double n) {
    return b * Math.pow(Math.max(n, 1), -a);
  }
}
