package io.sieve.diversity;

import java.util.Map;
import java.util.TreeMap;

/**
 * Diversity of one batch: the Shannon entropy of its cluster distribution and of its distribution
 * over each group attribute.
 *
 * <p>For counts n_1..n_k with N = Σ n_i and p_i = n_i / N, H = −Σ p_i · log2 p_i (bits; empty
 * classes contribute 0). H is 0 when every example comes from one cluster (or group value) and log2
 * k when k classes are equally represented, so H / log2 k is the evenness of the batch. Group
 * counts are keyed {@code attribute=value}; each attribute gets its own entropy over the examples
 * that carry it.
 *
 * @param clusterEntropy entropy of the cluster distribution, in bits
 * @param groupEntropy entropy of the distribution of each group attribute, in bits
 */
public record BatchDiversity(double clusterEntropy, Map<String, Double> groupEntropy) {

  public BatchDiversity {
    groupEntropy = Map.copyOf(groupEntropy);
  }

  /** The diversity of a batch from its per-cluster and per-group counts. */
  public static BatchDiversity of(
      Map<String, Integer> clusterCounts, Map<String, Integer> groupCounts) {
    Map<String, Map<String, Integer>> byAttribute = new TreeMap<>();
    groupCounts.forEach(
        (key, n) -> {
          int eq = key.indexOf('=');
          String attribute = eq < 0 ? key : key.substring(0, eq);
          byAttribute.computeIfAbsent(attribute, a -> new TreeMap<>()).put(key, n);
        });
    Map<String, Double> groups = new TreeMap<>();
    byAttribute.forEach((attribute, counts) -> groups.put(attribute, entropy(counts)));
    return new BatchDiversity(entropy(clusterCounts), groups);
  }

  /** Shannon entropy in bits of the distribution given by the counts; 0 for no counts. */
  public static double entropy(Map<String, Integer> counts) {
    long total = 0;
    for (int n : counts.values()) {
      total += Math.max(n, 0);
    }
    if (total == 0) {
      return 0.0;
    }
    double h = 0.0;
    for (int n : counts.values()) {
      if (n > 0) {
        double p = (double) n / total;
        h -= p * Math.log(p);
      }
    }
    // the sum is in nats; a non-negative zero keeps "-0.0" out of the metrics
    return Math.max(0.0, h / Math.log(2));
  }
}
