package io.sieve.policy;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a policy chose for one batch.
 *
 * @param picks slots per cluster, drawn through the trainer's cursors
 * @param cycle the batch's sampling cycle
 * @param counts per cluster, items the pool must choose itself by {@code strategy} (empty for
 *     policies that name slots)
 * @param strategy the pool-side strategy for {@code counts} (null: uniform), e.g. {@code coverage}
 * @param strategyParams its parameters
 * @param groupShares exact group shares the policy itself wants ({@code attr=value → share}), or
 *     null; realised as group quotas like the {@code group.targets} parameter
 * @param expectedShares the expected share of a batch per cluster, known when the draw was made
 *     (for the sampling weights), or null
 */
public record Draw(
    TreeMap<Integer, List<Pick>> picks,
    long cycle,
    TreeMap<Integer, Integer> counts,
    String strategy,
    Map<String, Double> strategyParams,
    Map<String, Double> groupShares,
    Map<Integer, Double> expectedShares) {

  /** One chosen slot and the cycle it was drawn in. */
  public record Pick(long slot, long cycle) {}

  /** A draw of explicit slots only. */
  public Draw(TreeMap<Integer, List<Pick>> picks, long cycle) {
    this(picks, cycle, new TreeMap<>(), null, Map.of(), null, null);
  }

  /** A draw naming pool-side counts, without expected shares. */
  public Draw(
      TreeMap<Integer, List<Pick>> picks,
      long cycle,
      TreeMap<Integer, Integer> counts,
      String strategy,
      Map<String, Double> strategyParams,
      Map<String, Double> groupShares) {
    this(picks, cycle, counts, strategy, strategyParams, groupShares, null);
  }

  /** The same draw with exact group shares attached. */
  public Draw withGroupShares(Map<String, Double> shares) {
    return new Draw(picks, cycle, counts, strategy, strategyParams, shares, expectedShares);
  }

  /** The same draw with its expected shares per cluster attached. */
  public Draw withExpectedShares(Map<Integer, Double> shares) {
    return new Draw(picks, cycle, counts, strategy, strategyParams, groupShares, shares);
  }

  /** Items per cluster, slots and pool-chosen counts together. */
  public TreeMap<Integer, Integer> perCluster() {
    TreeMap<Integer, Integer> out = new TreeMap<>(counts);
    picks.forEach((k, v) -> out.merge(k, v.size(), Integer::sum));
    out.values().removeIf(v -> v == 0);
    return out;
  }

  public int total() {
    int n = 0;
    for (Map.Entry<Integer, List<Pick>> e : picks.entrySet()) {
      n += e.getValue().size();
    }
    for (int c : counts.values()) {
      n += c;
    }
    return n;
  }
}
