package io.sieve.policy;

import io.sieve.avro.TrainerState;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;

/**
 * Cluster-balanced sampling (kMQ of Diversify-and-Conquer): the batch is split across the clusters
 * that have items in proportion to {@code N_k^p}, N_k the cluster's pool size:
 *
 * <pre>
 *   n_k ≈ n · N_k^p / Σ_j N_j^p        p = 0: equal per cluster; p = 1: proportional (as uniform)
 * </pre>
 *
 * (the paper's headline uses equal; its released code's allocation is closer to proportional).
 * Integer parts follow {@link WaterFilling#proportional}: floors of the ideal parts, the remainder
 * by systematic sampling on the fractions (so each n_k is right in expectation), and a cluster with
 * fewer items than its part gives the rest to the others in proportion to their own weights
 * (water-filling), so the batch is never silently short. Within a cluster the draw walks that
 * cluster's own cycle without replacement, so small clusters repeat sooner than large ones, which
 * is the point of balancing.
 *
 * <p>Parameters: {@code balance.p} p in [0, 1] (default 0, the paper's equal split).
 */
public final class ClusterBalancedPolicy implements SelectionPolicy {

  public static final String NAME = "cluster-balanced";
  public static final String P = "balance.p";
  public static final double P_DEFAULT = 0;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void checkParams(Map<String, String> params) {
    exponent(params);
  }

  private static double exponent(Map<String, String> params) {
    return new Params(params).number(P, P_DEFAULT, 0, 1);
  }

  /** Counts per cluster ∝ size^p, capped at each pool and water-filled. */
  static int[] allocation(int batchSize, long[] sizes, double p, Random rng) {
    double[] weight = new double[sizes.length];
    for (int i = 0; i < sizes.length; i++) {
      weight[i] = sizes[i] > 0 ? Math.pow(sizes[i], p) : 0;
    }
    return WaterFilling.proportional(batchSize, weight, sizes, rng);
  }

  @Override
  public Draw draw(
      TrainerState state, SortedMap<Integer, Long> poolSizes, int batchSize, long batchSeed) {
    double p = state.getSpec() == null ? P_DEFAULT : exponent(state.getSpec().getParams());
    int[] ids = ClusterDraws.ids(poolSizes);
    Random rng = new Random(batchSeed);
    int[] quota = allocation(batchSize, ClusterDraws.capacities(poolSizes), p, rng);
    return ClusterDraws.take(state, poolSizes, ids, quota, rng);
  }
}
