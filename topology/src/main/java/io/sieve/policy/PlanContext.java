package io.sieve.policy;

import io.sieve.cluster.Centroids;
import java.util.Map;
import java.util.SortedMap;

/**
 * What a policy may know about the pool when it plans or absorbs feedback.
 *
 * @param poolSizes pooled examples per cluster id (clusters with items only)
 * @param groupCounts per cluster id, pooled examples per group value keyed {@code attr=value}
 * @param centroids the current cluster centres, or null before the first model
 */
public record PlanContext(
    SortedMap<Integer, Long> poolSizes,
    Map<Integer, Map<String, Long>> groupCounts,
    Centroids centroids) {

  /** A context with sizes only: no group counts and no centres. */
  public static PlanContext ofSizes(SortedMap<Integer, Long> poolSizes) {
    return new PlanContext(poolSizes, Map.of(), null);
  }

  /** Pooled examples of {@code cluster} with group value {@code key}; 0 when unknown. */
  public long groupCount(int cluster, String key) {
    Map<String, Long> counts = groupCounts.get(cluster);
    return counts == null ? 0 : counts.getOrDefault(key, 0L);
  }

  /**
   * Cosine distance {@code 1 − ⟨c_a, c_b⟩} between two clusters' unit centres, or NaN when either
   * is unknown.
   */
  public double distance(int a, int b) {
    if (centroids == null) {
      return Double.NaN;
    }
    int i = centroids.indexOf(a);
    int j = centroids.indexOf(b);
    if (i < 0 || j < 0) {
      return Double.NaN;
    }
    float[] x = centroids.center(i);
    float[] y = centroids.center(j);
    double dot = 0;
    for (int d = 0; d < x.length; d++) {
      dot += (double) x[d] * y[d];
    }
    return 1.0 - dot;
  }
}
