package io.sieve.policy;

import io.sieve.avro.TrainerState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Pooled items per value of one group attribute, over all clusters, as the group policies ({@code
 * equitable}, {@code group-refinement}, {@code stratified}, {@code label-balanced}) see the pool.
 *
 * <p>Only the {@link #MAX_VALUES} values with the most items are named; the rest, and items without
 * the attribute, are "other" ({@link #other}). The cap bounds what such a policy keeps per value in
 * the trainer state and names in every plan: an attribute with thousands of values (a user id) is
 * not a group attribute.
 *
 * @param values items per named value, by value
 * @param total items in the pool
 */
public record GroupSupply(TreeMap<String, Long> values, long total) {

  /** Values named at most; the rest count as "other". */
  public static final int MAX_VALUES = 64;

  /** Items that are not of a named value. */
  public long other() {
    long named = 0;
    for (long n : values.values()) {
      named += n;
    }
    return Math.max(0, total - named);
  }

  /** The supply of {@code attribute} in the pool {@code context} describes. */
  public static GroupSupply of(PlanContext context, String attribute) {
    TreeMap<String, Long> all = new TreeMap<>();
    String prefix = attribute + "=";
    long total = 0;
    for (Map.Entry<Integer, Long> e : context.poolSizes().entrySet()) {
      total += e.getValue();
      Map<String, Long> counts = context.groupCounts().get(e.getKey());
      if (counts == null) {
        continue;
      }
      // a stale count may exceed its cluster's size; never more than the cluster holds
      long room = e.getValue();
      for (Map.Entry<String, Long> c : counts.entrySet()) {
        if (c.getKey().startsWith(prefix) && c.getValue() > 0) {
          all.merge(c.getKey().substring(prefix.length()), Math.min(room, c.getValue()), Long::sum);
        }
      }
    }
    if (all.size() > MAX_VALUES) {
      List<Map.Entry<String, Long>> ranked = new ArrayList<>(all.entrySet());
      ranked.sort(
          Comparator.comparing((Map.Entry<String, Long> x) -> -x.getValue())
              .thenComparing(Map.Entry::getKey));
      TreeMap<String, Long> kept = new TreeMap<>();
      for (Map.Entry<String, Long> x : ranked.subList(0, MAX_VALUES)) {
        kept.put(x.getKey(), x.getValue());
      }
      all = kept;
    }
    return new GroupSupply(all, total);
  }

  /**
   * Splits a batch of {@code n} over the named values and "other" in proportion to {@code weight}
   * (a missing value weighs 0) and {@code otherWeight}, each part capped at its supply and the
   * excess water-filled over the others ({@link WaterFilling#proportional}, whose systematic
   * rounding makes the expected count of each part exactly its ideal one where no cap binds).
   *
   * @return items per named value (the rest of n goes to "other")
   */
  public TreeMap<String, Integer> split(
      Map<String, Double> weight, double otherWeight, int n, Random rng) {
    List<String> names = new ArrayList<>(values.keySet());
    int g = names.size();
    double[] w = new double[g + 1];
    long[] caps = new long[g + 1];
    for (int j = 0; j < g; j++) {
      w[j] = Math.max(0, weight.getOrDefault(names.get(j), 0.0));
      caps[j] = values.get(names.get(j));
    }
    w[g] = Math.max(0, otherWeight);
    caps[g] = other();
    int[] counts = WaterFilling.proportional(n, w, caps, rng);
    int placed = 0;
    for (int c : counts) {
      placed += c;
    }
    if (placed < n) {
      // every part with weight is at its cap: the rest goes to whatever supply is left
      long[] room = new long[g + 1];
      for (int j = 0; j <= g; j++) {
        room[j] = caps[j] - counts[j];
      }
      int[] extra = WaterFilling.allocate(n - placed, room, rng);
      for (int j = 0; j <= g; j++) {
        counts[j] += extra[j];
      }
    }
    TreeMap<String, Integer> out = new TreeMap<>();
    for (int j = 0; j < g; j++) {
      out.put(names.get(j), counts[j]);
    }
    return out;
  }

  /**
   * A batch split over the values of {@code attribute}: uniform's picks ({@link UniformPolicy}'s
   * RS2 cursors, the preferred candidates) with exact group shares, each value's part in proportion
   * to what {@code weights} gives it (and "other" to {@code otherWeight}), capped at its supply
   * ({@link #split}, rounded with the batch's seed and {@code salt}); uniform's own draw when the
   * pool holds no value of the attribute.
   *
   * @param onCounts sees the counts per named value before the draw is returned (a policy that
   *     tracks what it planned); may be null
   */
  static Draw drawShares(
      UniformPolicy uniform,
      TrainerState state,
      PlanContext context,
      String attribute,
      int batchSize,
      long batchSeed,
      long salt,
      Function<GroupSupply, Map<String, Double>> weights,
      ToDoubleFunction<GroupSupply> otherWeight,
      Consumer<TreeMap<String, Integer>> onCounts) {
    Draw base = uniform.draw(state, context.poolSizes(), batchSize, batchSeed);
    GroupSupply supply = of(context, attribute);
    if (supply.values().isEmpty()) {
      return base;
    }
    TreeMap<String, Integer> counts =
        supply.split(
            weights.apply(supply),
            otherWeight.applyAsDouble(supply),
            batchSize,
            new Random(Seeds.mix(batchSeed, salt)));
    if (onCounts != null) {
      onCounts.accept(counts);
    }
    return base.withGroupShares(shares(attribute, counts, batchSize));
  }

  /** Counts per value as the exact group shares of a batch of {@code n}, keyed attr=value. */
  public static Map<String, Double> shares(String attribute, Map<String, Integer> counts, int n) {
    Map<String, Double> out = new LinkedHashMap<>();
    counts.forEach((v, c) -> out.put(attribute + "=" + v, c / (double) n));
    return out;
  }
}
