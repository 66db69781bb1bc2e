package io.sieve.policy;

import io.sieve.avro.TrainerState;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Coverage-centric selection (CCS, Zheng et al.), per cluster, per trainer, over rounds.
 *
 * <p>The examples' scores are the trainer's own per-example losses, written back beside the pool by
 * feedback (another trainer's losses are never this trainer's scores; the score an example was
 * ingested with counts where the trainer has none). Within each cluster the hardest {@code ⌊β·S⌋}
 * of its S scored items are pruned, and an item without a score is never pruned. Of the cluster's
 * budget B, the unscored items get the share uniform sampling would give them (drawn uniformly:
 * fresh data keeps flowing); the scored rest are split into {@code k} equal-width score strata and
 * the remaining budget is filled from the smallest non-empty stratum up:
 *
 * <pre>
 *   m_i = min(|S_i|, ⌊B_remaining / strata left⌋)
 * </pre>
 *
 * drawn uniformly inside each stratum. The budget is a round's: every {@code policy.round.batches}
 * planned batches make a round, the cluster's budget is {@code B = R·n_k} for its share n_k of a
 * batch, and each batch of the round takes the next n_k items of the round's selection (see {@link
 * io.sieve.policy.PoolDraw}); with B a batch's few items per cluster, "smallest stratum first"
 * would degenerate into the largest strata only. The planner splits each batch over clusters in
 * proportion to what survives pruning ({@code N − ⌊β·N⌋}, a lower bound that never shrinks as a
 * pool grows, so a stale size still under-promises), capped there and water-filled: CCS selects
 * over the whole data set, and an equal split per cluster would be cluster-balanced sampling. A
 * pruned item is never emitted. The pool chooses these items itself, so the guarantee is no repeat
 * within a batch (their {@code cycle} is −1).
 *
 * <p>Parameters: {@code coverage.beta} β (default 0.3), {@code coverage.strata} k (default 50),
 * {@code policy.round.batches} R (default 10).
 *
 * <p>State: {@code cov.round}, {@code cov.batch} (batches planned in the round), {@code
 * cov.used.<k>} (items planned from cluster k in the round).
 */
public final class CoveragePolicy implements SelectionPolicy {

  public static final String NAME = "coverage";
  public static final String STRATEGY = "coverage";
  public static final String BETA = "coverage.beta";
  public static final double BETA_DEFAULT = 0.3;
  public static final String STRATA = "coverage.strata";
  public static final int STRATA_DEFAULT = 50;

  /** Keys of the strategy parameters in a plan fragment. */
  public static final String BETA_KEY = "beta";

  public static final String STRATA_KEY = "strata";

  /** The cluster's budget over the round. */
  public static final String BUDGET_KEY = "budget";

  /** Items the trainer already took from the cluster in this round. */
  public static final String OFFSET_KEY = "offset";

  /** Seed of the round's selection (52 bits, exact in a double). */
  public static final String ROUND_SEED_KEY = "roundSeed";

  /**
   * Separates a parameter name from the cluster it is for ({@code offset@3}): the planner gives
   * each fragment the shared parameters and its own cluster's, under the bare name.
   */
  public static final char PER_CLUSTER = '@';

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean steeredByFeedback() {
    return true;
  }

  @Override
  public void checkParams(Map<String, String> params) {
    Params p = new Params(params);
    p.number(BETA, BETA_DEFAULT, 0, 0.99);
    p.integer(STRATA, STRATA_DEFAULT, 1, 100_000);
    Rewards.roundBatches(params);
  }

  /** The parameters of the fragment of {@code cluster}: the shared ones and its own, bare. */
  public static Map<String, Double> paramsFor(Map<String, Double> params, int cluster) {
    TreeMap<String, Double> out = new TreeMap<>();
    String mine = PER_CLUSTER + Integer.toString(cluster);
    for (Map.Entry<String, Double> e : params.entrySet()) {
      String key = e.getKey();
      int at = key.indexOf(PER_CLUSTER);
      if (at < 0) {
        out.put(key, e.getValue());
      } else if (key.substring(at).equals(mine)) {
        out.put(key.substring(0, at), e.getValue());
      }
    }
    return out;
  }

  /** Items of a cluster of {@code size} that survive pruning: {@code size − ⌊β·size⌋}. */
  public static long kept(long size, double beta) {
    return size - (long) Math.floor(beta * size);
  }

  @Override
  public Draw draw(
      TrainerState state, SortedMap<Integer, Long> poolSizes, int batchSize, long batchSeed) {
    Params p = new Params(state.getSpec() == null ? Map.of() : state.getSpec().getParams());
    double beta = p.number(BETA, BETA_DEFAULT, 0, 0.99);
    int strata = p.integer(STRATA, STRATA_DEFAULT, 1, 100_000);
    int[] ids = ClusterDraws.ids(poolSizes);
    long[] sizes = ClusterDraws.capacities(poolSizes);
    long[] capacity = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      capacity[i] = kept(sizes[i], beta);
    }
    // CCS selects over the whole data set, so each cluster's part follows its size (what survives
    // pruning), not an equal split: an equal split is cluster-balanced sampling, a different policy
    double[] weight = new double[ids.length];
    for (int i = 0; i < ids.length; i++) {
      weight[i] = capacity[i];
    }
    int[] counts = WaterFilling.proportional(batchSize, weight, capacity, new Random(batchSeed));
    int roundBatches =
        Rewards.roundBatches(state.getSpec() == null ? Map.of() : state.getSpec().getParams());
    PolicyState ps = new PolicyState(state);
    if (ps.get("cov.batch", 0) >= roundBatches) {
      ps.add("cov.round", 1);
      ps.put("cov.batch", 0);
      ps.removePrefix("cov.used.");
    }
    long trainerSeed = state.getSpec() == null ? 0 : state.getSpec().getSeed();
    long roundSeed =
        Seeds.mix(trainerSeed, Seeds.of(state.getTrainerId()), (long) ps.get("cov.round", 0))
            & ((1L << 52) - 1);
    Map<String, Double> params = new TreeMap<>();
    params.put(BETA_KEY, beta);
    params.put(STRATA_KEY, (double) strata);
    params.put(ROUND_SEED_KEY, (double) roundSeed);
    TreeMap<Integer, Integer> byCluster = new TreeMap<>();
    for (int i = 0; i < ids.length; i++) {
      if (counts[i] > 0) {
        byCluster.put(ids[i], counts[i]);
        String used = PolicyState.key("cov.used", ids[i]);
        params.put(BUDGET_KEY + PER_CLUSTER + ids[i], (double) counts[i] * roundBatches);
        params.put(OFFSET_KEY + PER_CLUSTER + ids[i], ps.get(used, 0));
        ps.add(used, counts[i]);
      }
    }
    ps.add("cov.batch", 1);
    ps.save();
    return new Draw(new TreeMap<>(), state.getCycle(), byCluster, STRATEGY, params, null);
  }
}
