package io.sieve.cluster;

/**
 * The decayed mini-batch k-means update that lets a centre track a drifting stream.
 *
 * <p>A centre {@code c} carries a weight {@code w}, the exponentially decayed number of points it
 * has absorbed. Folding in a mini-batch of {@code m} points with component-wise sum {@code s}:
 *
 * <pre>
 *   w' = a·w + m
 *   λ  = m / max(w', 10⁻¹⁶)
 *   c  ← normalise((1 − λ)·c + λ·s/m)
 * </pre>
 *
 * With {@code a = 1} this is exactly the running mean of every point seen (then projected to the
 * sphere); with {@code a < 1} a point's influence halves every {@code h} updates when {@code a =
 * exp(ln ½ / h)}, so old data fades instead of pinning the centre forever. A fresh centre ({@code w
 * = 0}) jumps straight to the batch mean ({@code λ = 1}).
 */
public final class DecayedUpdate {

  private static final double MIN_WEIGHT = 1e-16;

  private DecayedUpdate() {}

  /**
   * The decay per step {@code a = exp(ln ½ / h)}, so that {@code a^h = ½}; Sieve counts {@code h}
   * in points (see {@link #decayOver}). An infinite half-life gives {@code a = 1}, no forgetting.
   */
  public static double decayForHalfLife(double halfLife) {
    if (!(halfLife > 0)) {
      throw new IllegalArgumentException("half-life must be positive: " + halfLife);
    }
    return Math.exp(Math.log(0.5) / halfLife);
  }

  /**
   * The decay over {@code points} points, {@code a^points}: the factor one update applies when the
   * half-life is counted in points, so that an update of {@code n} points ages the model as much as
   * {@code n} updates of one point each.
   */
  public static double decayOver(double perPoint, long points) {
    checkDecay(perPoint);
    if (points < 0) {
      throw new IllegalArgumentException("points must be non-negative: " + points);
    }
    // a tiny positive floor: a weight that underflowed to 0 could never be told from a fresh one
    return Math.max(Math.pow(perPoint, points), Double.MIN_NORMAL);
  }

  /**
   * The mean weight, at the end of an update of {@code n} points, of one of its points: {@code ā =
   * (1 − aⁿ) / (n·(1 − a))}, the mean of {@code a⁰ … aⁿ⁻¹}. An update does not say in which order
   * its points came, so each counts as if the update's points were spread evenly over it; then the
   * same points sent in one update or interleaved over several (as several partitions send them)
   * give the same weights.
   */
  public static double meanPointWeight(double perPoint, long points) {
    checkDecay(perPoint);
    if (points <= 1 || perPoint == 1) {
      return 1.0;
    }
    return -Math.expm1(points * Math.log(perPoint)) / (points * -Math.expm1(Math.log(perPoint)));
  }

  private static void checkDecay(double decay) {
    if (!(decay > 0 && decay <= 1)) {
      throw new IllegalArgumentException("decay must be in (0, 1]: " + decay);
    }
  }

  /**
   * Applies one update to {@code center} in place and returns the new weight {@code w'}.
   *
   * <p>With {@code count = 0} only the weight decays. If the blend {@code (1 − λ)·c + λ·s/m} is
   * exactly zero (a batch that points precisely away from an equally weighted centre) it has no
   * direction, and the centre is left unchanged.
   *
   * @param center a unit vector, updated in place
   * @param weight the centre's current weight {@code w ≥ 0}
   * @param count the number {@code m ≥ 0} of points in the batch
   * @param sum the component-wise sum {@code s} of the batch's points
   * @param decay {@code a} in {@code (0, 1]}
   */
  public static double apply(float[] center, double weight, long count, float[] sum, double decay) {
    return apply(center, weight, count, sum, decay, count);
  }

  /**
   * As {@link #apply(float[], double, long, float[], double)}, with the batch's points adding
   * {@code mass} to the weight instead of {@code count} (see {@link #meanPointWeight}): {@code w' =
   * a·w + mass}, {@code λ = mass / w'}; the centre still moves towards the mean {@code s/m}.
   */
  public static double apply(
      float[] center, double weight, long count, float[] sum, double decay, double mass) {
    if (center.length != sum.length) {
      throw new IllegalArgumentException(
          "dimension mismatch: centre " + center.length + ", sum " + sum.length);
    }
    if (!(weight >= 0) || Double.isInfinite(weight)) {
      throw new IllegalArgumentException("weight must be finite and non-negative: " + weight);
    }
    if (count < 0) {
      throw new IllegalArgumentException("count must be non-negative: " + count);
    }
    checkDecay(decay);
    if (!(mass >= 0) || Double.isInfinite(mass)) {
      throw new IllegalArgumentException("mass must be finite and non-negative: " + mass);
    }
    double updated = decay * weight + (count == 0 ? 0 : mass);
    if (count == 0) {
      return updated;
    }
    double lambda = mass / Math.max(updated, MIN_WEIGHT);
    double keep = 1.0 - lambda;
    double perPoint = lambda / count;
    // two passes so the centre is only overwritten once the blend is known to have a direction
    double sq = 0;
    for (int j = 0; j < center.length; j++) {
      double x = keep * center[j] + perPoint * sum[j];
      sq += x * x;
    }
    if (sq > 0) {
      double inv = 1.0 / Math.sqrt(sq);
      for (int j = 0; j < center.length; j++) {
        center[j] = (float) ((keep * center[j] + perPoint * sum[j]) * inv);
      }
    }
    return updated;
  }
}
