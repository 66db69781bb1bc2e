package io.sieve.policy;

import io.sieve.avro.EvaluationRound;
import io.sieve.avro.TrainerFeedback;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * The reward every feedback policy learns from, per cluster and per round.
 *
 * <p><b>Rounds.</b> A policy updates once per round, never per batch, so that one noisy batch
 * cannot swing the mixture. A round closes on every feedback that carries an evaluation round (a
 * repeated or older evaluation round number is ignored), so by default a round is the trainer's own
 * evaluation period. A trainer that has never sent an evaluation closes a round every {@code
 * policy.round.batches} acknowledged batches; one that has sent them but stops closes a round after
 * {@value #STALL_FACTOR}× that many, so the policy never freezes.
 *
 * <p><b>Reward, in order of preference</b> (raw loss is highest on noise and mislabelled items, so
 * a loss-seeking policy chases them):
 *
 * <ol>
 *   <li><b>Validation gain</b>, when the round closes on an evaluation and the previous evaluation
 *       reported the same clusters: with {@code V_k} cluster k's validation loss and {@code c_k}
 *       the examples of k trained on since the previous evaluation,
 *       <pre>g_k = (V_k^{prev} − V_k^{now}) / c_k</pre>
 *       the drop attributable to one example of k (a cluster not trained on, {@code c_k = 0}, gets
 *       no reward this round: its drop is transfer from the others). Without counts the drop itself
 *       is the gain.
 *   <li><b>Learnability</b>: the mean over the round of the trainer's {@code clusterLearnability}
 *       reports per cluster (loss before the step minus loss after it).
 *   <li><b>Raw loss</b>: the mean over the round of {@code clusterLosses} per cluster.
 * </ol>
 *
 * <p>{@code policy.reward} pins one kind instead of that order: {@code validation-gain}, {@code
 * learnability} or {@code loss} ({@code auto}, the default, is the order above). A round without
 * the pinned signal then carries no reward and the policy stays where it is, rather than falling
 * back to another kind (a trainer that pins learnability does not want a loss-seeking update
 * whenever one report lacks it).
 *
 * <p><b>Scale.</b> Whichever kind, the round's values {@code x_k} become rewards in [0, 1] by a
 * robust scale, so that no single report dominates and the units of the loss do not matter:
 *
 * <pre>
 *   m = median(x),  s = 1.4826·median(|x − m|)  (else mean |x − m|),
 *   r_k = clamp(0.5 + (x_k − m) / (2·κ·s), 0, 1),   κ = 2
 * </pre>
 *
 * a value κ robust standard deviations from the median reaches 0 or 1, and anything beyond is
 * winsorised. With one cluster, or all values equal, every reward is 0.5. The rewards are relative
 * to the round: a loss that falls as training goes on does not drift the rewards down.
 *
 * <p>Example learnability is not used per cluster: the planner sees feedback keyed by example id
 * only and cannot place an id in its cluster.
 *
 * <p>State (in the policy state): {@code round.batches}, {@code round.closed}, the open round's
 * sums {@code round.learn.<k>}, {@code round.learnN.<k>}, {@code round.loss.<k>}, {@code
 * round.lossN.<k>}, the last evaluation round {@code round.eval} and its validation losses {@code
 * val.<k>} (clusters with items only).
 */
final class Rewards {

  /** Batches per round for a trainer that sends no evaluation rounds. */
  static final String ROUND_BATCHES = "policy.round.batches";

  static final int ROUND_BATCHES_DEFAULT = 10;

  /** Which signal the rewards come from: {@code auto} (the order of preference) or one kind. */
  static final String REWARD = "policy.reward";

  static final String REWARD_DEFAULT = "auto";

  /** A trainer that stopped evaluating closes a round after this many times the batches. */
  static final int STALL_FACTOR = 4;

  /** κ: robust standard deviations from the median to reward 0 or 1. */
  static final double KAPPA = 2.0;

  private static final double MAD_TO_SIGMA = 1.4826;

  /** What the rewards of a round were taken from. */
  enum Kind {
    VALIDATION_GAIN,
    LEARNABILITY,
    LOSS
  }

  /**
   * A closed round.
   *
   * @param rewards per cluster, in [0, 1]
   * @param batches acknowledged batches the round held
   */
  record Round(Kind kind, TreeMap<Integer, Double> rewards, int batches) {}

  private Rewards() {}

  static void checkParams(Map<String, String> params) {
    roundBatches(params);
    pinned(params);
  }

  /** The kind {@code policy.reward} pins, or null for {@code auto}. */
  static Kind pinned(Map<String, String> params) {
    String v = new Params(params).string(REWARD, REWARD_DEFAULT);
    return switch (v) {
      case "auto" -> null;
      case "validation-gain" -> Kind.VALIDATION_GAIN;
      case "learnability" -> Kind.LEARNABILITY;
      case "loss" -> Kind.LOSS;
      default ->
          throw new IllegalArgumentException(
              REWARD + " must be auto, validation-gain, learnability or loss: '" + v + "'");
    };
  }

  static int roundBatches(Map<String, String> params) {
    return new Params(params).integer(ROUND_BATCHES, ROUND_BATCHES_DEFAULT, 1, 1_000_000);
  }

  /**
   * Absorbs one feedback into {@code ps}; returns the round it closes, or null while the round is
   * open (or when a closed round carried no usable signal).
   */
  static Round absorb(
      TrainerFeedback feedback, PolicyState ps, PlanContext context, Map<String, String> params) {
    accumulate(ps, "round.learn", "round.learnN", feedback.getClusterLearnability());
    accumulate(ps, "round.loss", "round.lossN", feedback.getClusterLosses());
    ps.add("round.batches", 1);
    int batches = (int) ps.get("round.batches", 0);
    EvaluationRound eval = feedback.getEvaluation();
    boolean fresh =
        eval != null && (!ps.has("round.eval") || eval.getRound() > ps.get("round.eval", 0));
    TreeMap<Integer, Double> gains = null;
    if (fresh) {
      gains = gains(ps, eval, context);
    } else {
      int every = roundBatches(params);
      int due = ps.has("round.eval") ? STALL_FACTOR * every : every;
      if (batches < due) {
        return null;
      }
    }
    Round round = close(ps, gains, batches, pinned(params));
    ps.add("round.closed", 1);
    return round;
  }

  /** Gains against the previous evaluation; stores this one as the next baseline. */
  private static TreeMap<Integer, Double> gains(
      PolicyState ps, EvaluationRound eval, PlanContext context) {
    TreeMap<Integer, Double> now = clusterKeyed(eval.getClusterLosses());
    TreeMap<Integer, Double> counts = new TreeMap<>();
    clusterKeyed(eval.getTrainedClusterCounts()).forEach(counts::put);
    boolean haveCounts = !eval.getTrainedClusterCounts().isEmpty();
    TreeMap<Integer, Double> out = new TreeMap<>();
    for (Map.Entry<Integer, Double> e : now.entrySet()) {
      String key = PolicyState.key("val", e.getKey());
      if (!ps.has(key)) {
        continue;
      }
      double drop = ps.get(key, 0) - e.getValue();
      if (!haveCounts) {
        out.put(e.getKey(), drop);
      } else {
        double c = counts.getOrDefault(e.getKey(), 0.0);
        if (c > 0) {
          out.put(e.getKey(), drop / c);
        }
      }
    }
    ps.removePrefix("val.");
    for (Map.Entry<Integer, Double> e : now.entrySet()) {
      // the baseline of clusters that still hold items only: retired ids do not pile up
      if (context.poolSizes().containsKey(e.getKey())) {
        ps.put(PolicyState.key("val", e.getKey()), e.getValue());
      }
    }
    ps.put("round.eval", eval.getRound());
    return out;
  }

  /** The round's rewards from the first kind with values, among {@code pinned} alone if set. */
  private static Round close(
      PolicyState ps, TreeMap<Integer, Double> gains, int batches, Kind pinned) {
    Round out = null;
    TreeMap<Integer, Double> learn = means(ps, "round.learn", "round.learnN");
    TreeMap<Integer, Double> loss = means(ps, "round.loss", "round.lossN");
    for (Kind kind : Kind.values()) {
      TreeMap<Integer, Double> values =
          switch (kind) {
            case VALIDATION_GAIN -> gains;
            case LEARNABILITY -> learn;
            case LOSS -> loss;
          };
      if ((pinned == null || pinned == kind) && values != null && !values.isEmpty()) {
        out = new Round(kind, scaled(values), batches);
        break;
      }
    }
    ps.removePrefix("round.learn");
    ps.removePrefix("round.loss");
    ps.put("round.batches", 0);
    return out;
  }

  /**
   * The robust [0, 1] scale of the class comment: {@code clamp(0.5 + (x − m)/(2κs), 0, 1)}.
   * Non-finite values are left out.
   */
  static <K extends Comparable<? super K>> TreeMap<K, Double> scaled(Map<K, Double> raw) {
    TreeMap<K, Double> finite = new TreeMap<>();
    raw.forEach(
        (k, v) -> {
          if (v != null && Double.isFinite(v)) {
            finite.put(k, v);
          }
        });
    double[] x = finite.values().stream().mapToDouble(Double::doubleValue).toArray();
    TreeMap<K, Double> out = new TreeMap<>();
    if (x.length == 0) {
      return out;
    }
    double m = median(x);
    double[] dev = new double[x.length];
    double meanDev = 0;
    for (int i = 0; i < x.length; i++) {
      dev[i] = Math.abs(x[i] - m);
      meanDev += dev[i] / x.length;
    }
    double s = MAD_TO_SIGMA * median(dev);
    if (!(s > 0)) {
      s = meanDev;
    }
    for (Map.Entry<K, Double> e : finite.entrySet()) {
      double r = s > 0 ? 0.5 + (e.getValue() - m) / (2 * KAPPA * s) : 0.5;
      out.put(e.getKey(), Math.min(1, Math.max(0, r)));
    }
    return out;
  }

  static double median(double[] values) {
    double[] x = values.clone();
    Arrays.sort(x);
    int n = x.length;
    return n % 2 == 1 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
  }

  private static void accumulate(
      PolicyState ps, String sum, String count, Map<String, Double> perCluster) {
    clusterKeyed(perCluster)
        .forEach(
            (k, v) -> {
              ps.add(PolicyState.key(sum, k), v);
              ps.add(PolicyState.key(count, k), 1);
            });
  }

  private static TreeMap<Integer, Double> means(PolicyState ps, String sum, String count) {
    TreeMap<Integer, Double> out = new TreeMap<>();
    for (int k : ps.clusters(count)) {
      double n = ps.get(PolicyState.key(count, k), 0);
      if (n > 0) {
        out.put(k, ps.get(PolicyState.key(sum, k), 0) / n);
      }
    }
    return out;
  }

  /** Finite values whose key is a cluster id (decimal string); anything else carries no signal. */
  static <N extends Number> TreeMap<Integer, Double> clusterKeyed(Map<String, N> map) {
    TreeMap<Integer, Double> out = new TreeMap<>();
    for (Map.Entry<String, N> e : map.entrySet()) {
      N v = e.getValue();
      if (v == null || !Double.isFinite(v.doubleValue())) {
        continue;
      }
      try {
        out.put(Integer.parseInt(e.getKey().trim()), v.doubleValue());
      } catch (NumberFormatException ignored) {
        // not a cluster id
      }
    }
    return out;
  }
}
