package io.sieve.policy;

import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerState;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Iterative refinement of cluster weights (Diversify-and-Conquer, paper form).
 *
 * <p>After each acknowledged batch that carries cluster losses, every cluster gets a score {@code
 * S_k}: its mean loss in that feedback, or its last known score when the batch had none of it (a
 * cluster never scored takes the mean of the scores just received). Then
 *
 * <pre>
 *   p = softmax(S / τ),   w_k^{t+1} ∝ w_k^t · p_k,   w^0 = 1/K
 * </pre>
 *
 * kept as normalised log weights: {@code log w_k ← log w_k + S_k/τ − logsumexp(S/τ)}, then minus
 * {@code logsumexp(log w)}. A cluster that appears later starts at {@code log(1/K)}. Each batch's
 * per-cluster counts are a Multinomial(n, w) draw (seeded by the batch seed) over the clusters with
 * items, capped at each cluster's pool with the excess water-filled over the others, and drawn
 * inside each cluster without replacement through the trainer's cursors.
 *
 * <p>Parameters: {@code refinement.temperature} τ (default 1, the paper's softmax).
 *
 * <p>State: {@code logw.<k>} (normalised log weight), {@code score.<k>} (last score).
 */
public final class IterativeRefinementPolicy implements SelectionPolicy {

  public static final String NAME = "iterative-refinement";
  public static final String TEMPERATURE = "refinement.temperature";
  public static final double TEMPERATURE_DEFAULT = 1.0;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void checkParams(Map<String, String> params) {
    temperature(params);
  }

  private static double temperature(Map<String, String> params) {
    return new Params(params).number(TEMPERATURE, TEMPERATURE_DEFAULT, 1e-6, 1e6);
  }

  @Override
  public void onFeedback(TrainerFeedback feedback, TrainerState state, PlanContext context) {
    Map<Integer, Double> losses = FeedbackLosses.byCluster(feedback);
    if (losses.isEmpty()) {
      return;
    }
    double tau = temperature(state.getSpec().getParams());
    PolicyState ps = new PolicyState(state);
    TreeSet<Integer> clusters = new TreeSet<>(context.poolSizes().keySet());
    clusters.addAll(losses.keySet());
    for (String key : ps.view().keySet()) {
      if (key.startsWith("logw.")) {
        clusters.add(Integer.parseInt(key.substring(5)));
      }
    }
    double meanNew = losses.values().stream().mapToDouble(Double::doubleValue).average().orElse(0);
    int k = clusters.size();
    int[] ids = clusters.stream().mapToInt(Integer::intValue).toArray();
    double[] s = new double[k];
    double[] logw = new double[k];
    for (int i = 0; i < k; i++) {
      Double observed = losses.get(ids[i]);
      s[i] =
          (observed != null ? observed : ps.get(PolicyState.key("score", ids[i]), meanNew)) / tau;
      logw[i] = ps.get(PolicyState.key("logw", ids[i]), -Math.log(k));
    }
    double lseS = LogSpace.logSumExp(s);
    for (int i = 0; i < k; i++) {
      logw[i] += s[i] - lseS;
    }
    double lseW = LogSpace.logSumExp(logw);
    for (int i = 0; i < k; i++) {
      ps.put(PolicyState.key("logw", ids[i]), logw[i] - lseW);
      ps.put(PolicyState.key("score", ids[i]), s[i] * tau);
    }
    ps.save();
  }

  /** The normalised weights over the given clusters, from the state (uniform when unknown). */
  static double[] weights(TrainerState state, int[] ids) {
    PolicyState ps = new PolicyState(state);
    double[] logw = new double[ids.length];
    for (int i = 0; i < ids.length; i++) {
      logw[i] = ps.get(PolicyState.key("logw", ids[i]), -Math.log(Math.max(ids.length, 1)));
    }
    return LogSpace.softmax(logw);
  }

  @Override
  public Draw draw(
      TrainerState state, SortedMap<Integer, Long> poolSizes, int batchSize, long batchSeed) {
    Random rng = new Random(batchSeed);
    int[] ids = ClusterDraws.ids(poolSizes);
    int[] counts = ClusterDraws.multinomial(batchSize, weights(state, ids), rng);
    counts = ClusterDraws.capped(counts, ClusterDraws.capacities(poolSizes), rng);
    return ClusterDraws.take(state, new TreeMap<>(poolSizes), ids, counts);
  }
}
