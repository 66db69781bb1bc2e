package io.sieve.policy;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Sampling weights of a batch's examples, per cluster: the inverse of the cluster's inclusion rate
 * relative to uniform sampling,
 *
 * <pre>
 *   w_k = (N_k / N) / s_k
 * </pre>
 *
 * with {@code N_k / N} the cluster's share of the pool and {@code s_k} its expected share of the
 * trainer's batches under the policy. A uniform draw has {@code s_k = N_k / N}, so every weight is
 * 1; a policy that gives a cluster twice its natural share gives its examples weight ½. A trainer
 * that wants an unbiased estimate of the risk on the natural distribution multiplies each example's
 * loss by its weight (importance sampling); one that wants the policy's reweighted objective
 * ignores it. Within a cluster every policy samples uniformly, so one weight per cluster is exact
 * for the cluster mix; a group constraint also reshapes the mix inside a cluster, which a
 * per-cluster weight does not undo.
 */
public final class SamplingWeights {

  private SamplingWeights() {}

  /**
   * @param poolSizes pooled examples per cluster (the clusters with items)
   * @param batchShares expected share of a batch per cluster (need not sum to exactly 1)
   * @return w_k for each cluster of {@code batchShares} with a positive share; 1.0 where the pool
   *     share is unknown
   */
  public static TreeMap<Integer, Double> of(
      SortedMap<Integer, Long> poolSizes, Map<Integer, Double> batchShares) {
    double total = 0;
    for (long n : poolSizes.values()) {
      total += n;
    }
    double shares = 0;
    for (double s : batchShares.values()) {
      shares += s;
    }
    TreeMap<Integer, Double> out = new TreeMap<>();
    for (Map.Entry<Integer, Double> e : batchShares.entrySet()) {
      double s = e.getValue() / shares;
      Long size = poolSizes.get(e.getKey());
      if (!(s > 0)) {
        continue;
      }
      out.put(e.getKey(), total > 0 && size != null ? (size / total) / s : 1.0);
    }
    return out;
  }

  /** Expected shares from integer counts per cluster. */
  public static TreeMap<Integer, Double> shares(Map<Integer, Integer> counts) {
    TreeMap<Integer, Double> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, (double) v));
    return out;
  }
}
