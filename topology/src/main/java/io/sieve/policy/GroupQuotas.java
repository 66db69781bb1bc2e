package io.sieve.policy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Group constraints on a batch, composable with any cluster policy: per-batch quotas per value of
 * one group attribute, split over the clusters.
 *
 * <p><b>Parameters</b> (in {@code TrainerSpec.params}; one attribute, one of the two):
 *
 * <ul>
 *   <li>{@code group.targets = lang=en:0.5,lang=fr:0.3}: exact shares. The named values get {@code
 *       share·n} items (largest-remainder rounding, so the counts sum to n); the rest, {@code (1 −
 *       Σ shares)·n}, comes from items whose value is not named ("other").
 *   <li>{@code group.min = lang=fr:0.2}: minimum shares. Each named value gets at least {@code
 *       ⌈share·n⌉}; the rest is free (any value, as the cluster policy chose).
 *   <li>{@code group.targets.mode = expected}: targets held in expectation rather than in every
 *       batch. Each batch's counts are a multinomial draw of n over the shares and "other", from
 *       the batch's seeded random stream, so the mean over batches is the target while a batch may
 *       hold more or fewer of a value (useful when exact small shares would round the same way
 *       every batch). Default {@code exact}.
 * </ul>
 *
 * <p><b>Shortfall.</b> A value whose pooled supply (from the cluster statistics) is below its
 * target gets all it has; the missing items go evenly, by water-filling, to the other values with
 * spare supply (exact mode) or to the free part (minimum mode). Each such case is reported.
 *
 * <p><b>Statistics lag the pool.</b> The supply above comes from the cluster statistics, which the
 * pool publishes every interval: while it fills, it holds more than they say. So a shortfall is
 * only a forecast. The part of it that went to "other" (exact) or to the free part (minimum) is
 * handed to the clusters as {@code spare}: items of the short value each cluster draws beyond its
 * quota if it really holds them, each in place of one of its "other" or free items. A cluster is
 * given spare in proportion to its pool, up to its "other" or free quota. The pool thus draws exact
 * counts from what it really holds; a batch that still misses a target (the pool truly lacks the
 * value) is flagged incomplete by the assembler, which checks the batch against {@code demanded}.
 *
 * <p><b>Split over clusters.</b> The cluster policy's counts {@code c_k} are the guide: values are
 * placed scarcest first ({@code supply / target} ascending), each in proportion to {@code room_k ·
 * a_kg / N_k}, capped at {@code min(a_kg, room_k)}, where {@code a_kg} is cluster k's supply of the
 * value, {@code N_k} its pool and {@code room_k} what is left of {@code c_k}: the number of the
 * value's items cluster k's own picks would hold on average. What does not fit goes to the
 * remaining supply of any cluster, in proportion to it. A cluster's few stray items of a value thus
 * get no larger chance than its picks give them. The group targets are exact whenever the pool
 * holds them; the cluster split is kept as far as supply allows.
 *
 * <p><b>No repeats.</b> The pool fills the quotas ({@code io.sieve.policy.PoolDraw}) from the
 * cluster policy's cursor picks first and tops the rest up from the cluster's items of the value.
 * Every item of a grouped batch is drawn in its (cluster, value) cycle for the trainer, which the
 * pool keeps: no example repeats within that cycle, and the cycle ends only once each of the
 * value's items in the cluster was served. No batch ever holds an example twice.
 */
public final class GroupQuotas {

  public static final String TARGETS = "group.targets";
  public static final String MINIMUM = "group.min";

  /** How {@code group.targets} holds: {@code exact} per batch (default) or {@code expected}. */
  public static final String TARGETS_MODE = "group.targets.mode";

  private GroupQuotas() {}

  public enum Mode {
    /** Every batch holds the target shares, rounded by largest remainder. */
    EXACT,
    /**
     * Each batch's counts are a multinomial draw of n over the shares (and "other"), seeded by the
     * batch: right on average over batches, free to vary batch by batch.
     */
    EXPECTED,
    /** Every batch holds at least the minimum shares; the rest is free. */
    MINIMUM
  }

  /** A constraint over one attribute: value → share. */
  public record Constraint(String attribute, Map<String, Double> shares, Mode mode) {}

  /** One cluster's quotas: per named value, "other" (exact mode) and free (minimum mode). */
  public record ClusterQuota(TreeMap<String, Integer> byValue, int other, int free) {
    public int total() {
      int n = other + free;
      for (int v : byValue.values()) {
        n += v;
      }
      return n;
    }
  }

  /** A value that could not get its target: wanted, got. */
  public record Shortfall(String group, int wanted, int got) {}

  /**
   * The quotas per cluster, the batch-level targets per value after shortfalls, any shortfalls, the
   * batch-level counts the constraint demands (before shortfalls; keys as in {@code targets}) and,
   * per cluster, the spare items per value it should draw in place of "other" or free items if it
   * holds them.
   */
  public record Result(
      TreeMap<Integer, ClusterQuota> perCluster,
      TreeMap<String, Integer> targets,
      List<Shortfall> shortfalls,
      TreeMap<String, Integer> demanded,
      TreeMap<Integer, TreeMap<String, Integer>> spare) {}

  /** The constraint in {@code params}, or null; throws with the reason if it is malformed. */
  public static Constraint parse(Map<String, String> params) {
    Params p = new Params(params);
    boolean targets = p.has(TARGETS);
    boolean minimum = p.has(MINIMUM);
    if (targets && minimum) {
      throw new IllegalArgumentException("give " + TARGETS + " or " + MINIMUM + ", not both");
    }
    if (!targets && !minimum) {
      if (p.has(TARGETS_MODE)) {
        throw new IllegalArgumentException(TARGETS_MODE + " applies to " + TARGETS + " only");
      }
      return null;
    }
    String name = targets ? TARGETS : MINIMUM;
    String attribute = null;
    Map<String, Double> shares = new LinkedHashMap<>();
    double sum = 0;
    for (String entry : p.string(name, "").split(",")) {
      String e = entry.trim();
      int colon = e.lastIndexOf(':');
      int eq = e.indexOf('=');
      if (colon < 0 || eq <= 0 || eq > colon) {
        throw new IllegalArgumentException(
            name + ": expected attr=value:share entries separated by commas, got '" + e + "'");
      }
      String attr = e.substring(0, eq).trim();
      String value = e.substring(eq + 1, colon).trim();
      double share;
      try {
        share = Double.parseDouble(e.substring(colon + 1).trim());
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException(name + ": share of '" + e + "' is not a number", ex);
      }
      if (!(share >= 0 && share <= 1)) {
        throw new IllegalArgumentException(name + ": share of '" + e + "' must be in [0, 1]");
      }
      if (attribute != null && !attribute.equals(attr)) {
        throw new IllegalArgumentException(
            name + ": all entries must name one attribute (" + attribute + " and " + attr + ")");
      }
      attribute = attr;
      if (shares.put(value, share) != null) {
        throw new IllegalArgumentException(name + ": " + attr + "=" + value + " given twice");
      }
      sum += share;
    }
    if (sum > 1 + 1e-9) {
      throw new IllegalArgumentException(name + ": shares sum to " + sum + ", more than 1");
    }
    String how = p.string(TARGETS_MODE, "exact");
    if (!how.equals("exact") && !how.equals("expected")) {
      throw new IllegalArgumentException(
          TARGETS_MODE + " must be exact or expected, got '" + how + "'");
    }
    if (!targets && p.has(TARGETS_MODE)) {
      throw new IllegalArgumentException(TARGETS_MODE + " applies to " + TARGETS + " only");
    }
    Mode mode = !targets ? Mode.MINIMUM : how.equals("expected") ? Mode.EXPECTED : Mode.EXACT;
    return new Constraint(attribute, shares, mode);
  }

  /**
   * Quotas for a batch of {@code n}.
   *
   * @param base the cluster policy's items per cluster (summing to n)
   * @param context pool sizes and group counts per cluster
   * @param rng breaks water-filling ties
   */
  public static Result plan(
      Constraint c, int n, SortedMap<Integer, Integer> base, PlanContext context, Random rng) {
    List<String> values = new ArrayList<>(new TreeMap<>(c.shares()).keySet());
    int g = values.size();
    // exact and expected targets fill the batch with named values and "other"; minimum leaves
    // a free part
    boolean exact = c.mode() != Mode.MINIMUM;
    int[] clusters = context.poolSizes().keySet().stream().mapToInt(Integer::intValue).toArray();
    int k = clusters.length;
    // supply[j][i]: cluster i's items of value j; row g is "other" (exact) or the whole pool (min)
    long[][] supply = new long[g + 1][k];
    long[] total = new long[g + 1];
    for (int i = 0; i < k; i++) {
      long size = context.poolSizes().get(clusters[i]);
      long named = 0;
      for (int j = 0; j < g; j++) {
        supply[j][i] =
            Math.min(size, context.groupCount(clusters[i], c.attribute() + "=" + values.get(j)));
        named += supply[j][i];
        total[j] += supply[j][i];
      }
      supply[g][i] = exact ? Math.max(0, size - named) : size;
      total[g] += supply[g][i];
    }
    int[] target = targets(c, values, n, rng);
    int[] wanted = target.clone();
    List<Shortfall> shortfalls = new ArrayList<>();
    int deficit = 0;
    long[] spare = new long[g + 1];
    for (int j = 0; j < g; j++) {
      if (target[j] > total[j]) {
        shortfalls.add(
            new Shortfall(c.attribute() + "=" + values.get(j), target[j], (int) total[j]));
        deficit += target[j] - (int) total[j];
        target[j] = (int) total[j];
      } else {
        spare[j] = total[j] - target[j];
      }
    }
    if (exact) {
      if (target[g] > total[g]) {
        shortfalls.add(new Shortfall(c.attribute() + "=*", target[g], (int) total[g]));
        deficit += target[g] - (int) total[g];
        target[g] = (int) total[g];
      } else {
        spare[g] = total[g] - target[g];
      }
      int[] extra = WaterFilling.allocate(deficit, spare, rng);
      for (int j = 0; j <= g; j++) {
        target[j] += extra[j];
      }
    } else {
      target[g] += deficit;
    }
    // what went to "other" or free in place of short values may be taken back if the pool has more
    // of them than the statistics say
    int substitutable = target[g] - Math.min(wanted[g], target[g]);

    // split each value's target over clusters, scarcest first, the free part last
    int[] room = new int[k];
    for (int i = 0; i < k; i++) {
      room[i] = base.getOrDefault(clusters[i], 0);
    }
    int[][] x = new int[g + 1][k];
    List<Integer> order = new ArrayList<>();
    for (int j = 0; j < (exact ? g + 1 : g); j++) {
      order.add(j);
    }
    final int[] t = target;
    order.sort(
        Comparator.<Integer>comparingDouble(
                j -> t[j] == 0 ? Double.MAX_VALUE : total[j] / (double) t[j])
            .thenComparingInt(j -> j));
    long[] sizes = new long[k];
    for (int i = 0; i < k; i++) {
      sizes[i] = context.poolSizes().get(clusters[i]);
    }
    for (int j : order) {
      place(t[j], supply[j], sizes, room, x[j], rng);
    }
    if (c.mode() == Mode.MINIMUM) {
      long[] left = new long[k];
      for (int i = 0; i < k; i++) {
        long used = 0;
        for (int j = 0; j < g; j++) {
          used += x[j][i];
        }
        left[i] = supply[g][i] - used;
      }
      place(t[g], left, sizes, room, x[g], rng);
    }

    TreeMap<Integer, ClusterQuota> perCluster = new TreeMap<>();
    for (int i = 0; i < k; i++) {
      TreeMap<String, Integer> byValue = new TreeMap<>();
      int sum = 0;
      for (int j = 0; j < g; j++) {
        byValue.put(values.get(j), x[j][i]);
        sum += x[j][i];
      }
      int other = exact ? x[g][i] : 0;
      int free = exact ? 0 : x[g][i];
      if (sum + other + free > 0) {
        perCluster.put(clusters[i], new ClusterQuota(byValue, other, free));
      }
    }
    TreeMap<String, Integer> targets = new TreeMap<>();
    TreeMap<String, Integer> demanded = new TreeMap<>();
    for (int j = 0; j < g; j++) {
      targets.put(c.attribute() + "=" + values.get(j), t[j]);
      demanded.put(c.attribute() + "=" + values.get(j), wanted[j]);
    }
    targets.put(exact ? c.attribute() + "=*" : "*", t[g]);
    demanded.put(exact ? c.attribute() + "=*" : "*", wanted[g]);
    TreeMap<Integer, TreeMap<String, Integer>> spares = new TreeMap<>();
    long[] fillIn = new long[k];
    for (int i = 0; i < k; i++) {
      fillIn[i] = x[g][i];
    }
    for (int j = 0; j < g && substitutable > 0; j++) {
      int want = Math.min(substitutable, wanted[j] - t[j]);
      if (want <= 0) {
        continue;
      }
      double[] weight = new double[k];
      for (int i = 0; i < k; i++) {
        weight[i] = fillIn[i] > 0 ? sizes[i] : 0;
      }
      int[] given = WaterFilling.proportional(want, weight, fillIn, rng);
      for (int i = 0; i < k; i++) {
        if (given[i] > 0) {
          spares.computeIfAbsent(clusters[i], key -> new TreeMap<>()).put(values.get(j), given[i]);
          fillIn[i] -= given[i];
          substitutable -= given[i];
        }
      }
    }
    return new Result(perCluster, targets, shortfalls, demanded, spares);
  }

  /**
   * Batch-level counts per value (index g: other or free), before shortfalls; {@code rng} draws
   * them in expected mode.
   */
  static int[] targets(Constraint c, List<String> values, int n, Random rng) {
    int g = values.size();
    int[] t = new int[g + 1];
    if (c.mode() == Mode.EXPECTED) {
      // n categorical draws: value j with its share, "other" with what the shares leave
      double[] cumulative = new double[g];
      double sum = 0;
      for (int j = 0; j < g; j++) {
        sum += c.shares().get(values.get(j));
        cumulative[j] = sum;
      }
      for (int draw = 0; draw < n; draw++) {
        double u = rng.nextDouble();
        int j = 0;
        while (j < g && u >= cumulative[j]) {
          j++;
        }
        t[j]++;
      }
    } else if (c.mode() == Mode.EXACT) {
      double[] raw = new double[g + 1];
      double named = 0;
      for (int j = 0; j < g; j++) {
        raw[j] = c.shares().get(values.get(j)) * n;
        named += raw[j];
      }
      raw[g] = Math.max(0, n - named);
      // largest remainder: floors, then one more to the largest fractional parts (ties: lower j)
      int assigned = 0;
      for (int j = 0; j <= g; j++) {
        t[j] = (int) Math.floor(raw[j] + 1e-9);
        assigned += t[j];
      }
      List<Integer> byFraction = new ArrayList<>();
      for (int j = 0; j <= g; j++) {
        byFraction.add(j);
      }
      byFraction.sort(
          Comparator.<Integer>comparingDouble(j -> -(raw[j] - Math.floor(raw[j] + 1e-9)))
              .thenComparingInt(j -> j));
      for (int r = 0; assigned < n && r < byFraction.size(); r++, assigned++) {
        t[byFraction.get(r)]++;
      }
    } else {
      int assigned = 0;
      for (int j = 0; j < g; j++) {
        t[j] = (int) Math.ceil(c.shares().get(values.get(j)) * n - 1e-9);
        assigned += t[j];
      }
      // ceilings of shares summing to ≤ 1 may overshoot n by < g: trim one each, in order
      for (int j = 0; assigned > n; j = (j + 1) % g) {
        if (t[j] > 0) {
          t[j]--;
          assigned--;
        }
      }
      t[g] = n - assigned;
    }
    return t;
  }

  /**
   * Places {@code count} units of one value over clusters: first within each cluster's room, in
   * proportion to {@code room_i · supply_i / size_i} (the number of the value's items cluster i's
   * own picks would hold on average), then anywhere with supply, in proportion to what is left. So
   * every item of the value is about as likely to be drawn as its cluster's picks make it: a
   * cluster holding one stray item of the value is not given an equal part of the quota (an equal
   * split drew such items in batch after batch). Updates {@code room} and writes into {@code out}.
   */
  private static void place(
      int count, long[] supply, long[] sizes, int[] room, int[] out, Random rng) {
    int k = supply.length;
    long[] caps = new long[k];
    double[] weight = new double[k];
    for (int i = 0; i < k; i++) {
      caps[i] = Math.max(0, Math.min(supply[i], room[i]));
      weight[i] = sizes[i] > 0 ? room[i] * (double) supply[i] / sizes[i] : 0;
    }
    int[] first = WaterFilling.proportional(count, weight, caps, rng);
    int placed = 0;
    for (int i = 0; i < k; i++) {
      out[i] = first[i];
      placed += first[i];
      caps[i] = supply[i] - first[i];
      weight[i] = caps[i];
    }
    if (placed < count) {
      int[] second = WaterFilling.proportional(count - placed, weight, caps, rng);
      for (int i = 0; i < k; i++) {
        out[i] += second[i];
      }
    }
    for (int i = 0; i < k; i++) {
      room[i] -= out[i];
    }
  }
}
