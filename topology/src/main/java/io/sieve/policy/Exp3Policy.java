package io.sieve.policy;

import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerState;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * EXP3 online data mixing over clusters (Albalak et al., "Efficient Online Data Mixing").
 *
 * <p>Rewards: the trainer's loss on cluster k's examples, scaled into [0, 1] by {@code
 * exp3.loss.scale} (or, when that is 0, by the largest loss seen so far), importance-weighted by
 * the probability the cluster had: {@code R̂_k += r_k / π_k}. With K the clusters that have items
 * and t the number of feedback rounds absorbed plus one,
 *
 * <pre>
 *   ε_t = min(1/K, sqrt(ln K / (K·t)))        (ε_0 = 1/K)
 *   π_k = (1 − K·ε_t)·softmax(ε_{t−1}·R̂)_k + ε_t
 * </pre>
 *
 * The softmax is the stable log-space form (no weight is ever exponentiated unnormalised, so long
 * runs cannot overflow). Each batch's counts are a Multinomial(n, π) draw (seeded by the batch
 * seed), capped at each pool with the excess water-filled, and drawn without replacement inside
 * each cluster through the trainer's cursors. The π of the latest plan is kept for the importance
 * weights of the next feedback.
 *
 * <p>Parameters: {@code exp3.loss.scale} (default 0: the running maximum loss).
 *
 * <p>State: {@code R.<k>} (R̂_k), {@code pi.<k>}, {@code t}, {@code maxLoss}.
 */
public final class Exp3Policy implements SelectionPolicy {

  public static final String NAME = "exp3";
  public static final String LOSS_SCALE = "exp3.loss.scale";
  public static final double LOSS_SCALE_DEFAULT = 0;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void checkParams(Map<String, String> params) {
    new Params(params).number(LOSS_SCALE, LOSS_SCALE_DEFAULT, 0, 1e12);
  }

  /** ε_t = min(1/K, sqrt(ln K / (K·t))), with ε_0 = 1/K. */
  static double epsilon(int k, long t) {
    if (k <= 0) {
      return 0;
    }
    if (t <= 0) {
      return 1.0 / k;
    }
    return Math.min(1.0 / k, Math.sqrt(Math.log(k) / ((double) k * t)));
  }

  /** π over {@code ids} from the state. */
  static double[] probabilities(TrainerState state, int[] ids) {
    PolicyState ps = new PolicyState(state);
    int k = ids.length;
    long t = (long) ps.get("t", 0) + 1;
    double eps = epsilon(k, t);
    double epsPrev = epsilon(k, t - 1);
    double[] logits = new double[k];
    for (int i = 0; i < k; i++) {
      logits[i] = epsPrev * ps.get(PolicyState.key("R", ids[i]), 0);
    }
    double[] soft = LogSpace.softmax(logits);
    double[] pi = new double[k];
    for (int i = 0; i < k; i++) {
      pi[i] = (1 - k * eps) * soft[i] + eps;
    }
    return pi;
  }

  @Override
  public void onFeedback(TrainerFeedback feedback, TrainerState state, PlanContext context) {
    Map<Integer, Double> losses = FeedbackLosses.byCluster(feedback);
    if (losses.isEmpty()) {
      return;
    }
    double fixed =
        new Params(state.getSpec().getParams()).number(LOSS_SCALE, LOSS_SCALE_DEFAULT, 0, 1e12);
    PolicyState ps = new PolicyState(state);
    double maxLoss = ps.get("maxLoss", 0);
    for (double loss : losses.values()) {
      maxLoss = Math.max(maxLoss, loss);
    }
    ps.put("maxLoss", maxLoss);
    double scale = fixed > 0 ? fixed : maxLoss;
    int k = Math.max(1, context.poolSizes().size());
    for (Map.Entry<Integer, Double> e : losses.entrySet()) {
      double r = scale > 0 ? Math.min(1, Math.max(0, e.getValue() / scale)) : 0;
      double pi = ps.get(PolicyState.key("pi", e.getKey()), 1.0 / k);
      ps.add(PolicyState.key("R", e.getKey()), r / pi);
    }
    ps.add("t", 1);
    ps.save();
  }

  @Override
  public Draw draw(
      TrainerState state, SortedMap<Integer, Long> poolSizes, int batchSize, long batchSeed) {
    Random rng = new Random(batchSeed);
    int[] ids = ClusterDraws.ids(poolSizes);
    double[] pi = probabilities(state, ids);
    PolicyState ps = new PolicyState(state);
    for (int i = 0; i < ids.length; i++) {
      ps.put(PolicyState.key("pi", ids[i]), pi[i]);
    }
    ps.save();
    int[] counts = ClusterDraws.multinomial(batchSize, pi, rng);
    counts = ClusterDraws.capped(counts, ClusterDraws.capacities(poolSizes), rng);
    return ClusterDraws.take(state, new TreeMap<>(poolSizes), ids, counts);
  }
}
