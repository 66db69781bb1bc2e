package io.sieve.policy;

import io.sieve.avro.TrainerState;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Coverage-centric selection (CCS, Zheng et al.), per cluster.
 *
 * <p>The examples' scores are the trainer's per-example losses, written back to the pool by
 * feedback (an example never scored counts as 0). Within each cluster of N items the hardest {@code
 * ⌊β·N⌋} by score are pruned; the rest are split into {@code k} equal-width score strata, and the
 * cluster's budget B is filled from the smallest non-empty stratum up:
 *
 * <pre>
 *   m_i = min(|S_i|, ⌊B_remaining / strata left⌋)
 * </pre>
 *
 * drawn uniformly inside each stratum. The planner splits the batch over clusters by water-filling
 * over what survives pruning ({@code N − ⌊β·N⌋}, which never shrinks as a pool grows, so a stale
 * size still under-promises); the pool, which holds the scores, does the stratified draw, seeded
 * from the batch seed and the cluster. A pruned item is never emitted. The pool chooses these items
 * itself, so the guarantee is no repeat within a batch (their {@code cycle} is −1).
 *
 * <p>Parameters: {@code coverage.beta} β (default 0.3), {@code coverage.strata} k (default 50).
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

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void checkParams(Map<String, String> params) {
    Params p = new Params(params);
    p.number(BETA, BETA_DEFAULT, 0, 0.99);
    p.integer(STRATA, STRATA_DEFAULT, 1, 100_000);
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
    int[] counts = WaterFilling.allocate(batchSize, capacity, new Random(batchSeed));
    TreeMap<Integer, Integer> byCluster = new TreeMap<>();
    for (int i = 0; i < ids.length; i++) {
      if (counts[i] > 0) {
        byCluster.put(ids[i], counts[i]);
      }
    }
    return new Draw(
        new TreeMap<>(),
        state.getCycle(),
        byCluster,
        STRATEGY,
        Map.of(BETA_KEY, beta, STRATA_KEY, (double) strata),
        null);
  }
}
