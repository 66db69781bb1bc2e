package io.sieve.policy;

import io.sieve.avro.BatchExample;
import io.sieve.avro.PlanFragment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * The draws the pool makes itself, over one cluster's items: group quotas and the coverage
 * strategy. Pure logic over {@code (slot, example)} pairs so that it can be tested without Kafka.
 *
 * <p>Order of work for a fragment with group quotas: the fragment's slots (the cluster policy's
 * cursor picks) are taken first, each for its own value's quota or else for the free part; then
 * each quota still open is filled from the cluster's other items of that value, then the free part
 * from any item. A fragment without quotas draws {@code count} items.
 *
 * <p>Spare ({@code groupSpare}): the planner's supply figures lag the pool, so where they showed
 * too few of a value it gave "other" (or free) items in its place, and names the value here. As
 * many "other" or free places as there is spare are held back from the slots; once the quotas are
 * filled, the cluster draws up to that many more of each spare value from what it really holds, and
 * gives the places it could not use back to "other" or free. Items are chosen uniformly without
 * replacement, or by CCS under the coverage strategy; either way no slot is taken twice, so nothing
 * repeats within a batch. Randomness comes from {@code Seeds.mix(batch seed, cluster)}.
 *
 * <p>Coverage (CCS): of the cluster's S scored items, the hardest {@code ⌊β·S⌋} by score (ties go
 * to the higher slot) are pruned before anything else and can never be emitted; an item without a
 * score is never pruned (nothing is known to make it hard, and ties must not fall on the newest
 * items). A draw of budget B over U unscored of N candidates first takes B·U/N of the unscored
 * uniformly (rounded at random), the share uniform sampling would give them, so that fresh items
 * keep flowing; the rest of B goes to k equal-width score strata of the scored candidates, filled
 * from the smallest non-empty stratum up, {@code m_i = min(|S_i|, ⌊B_rem / strata left⌋)},
 * uniformly inside each stratum (what they cannot hold goes to more unscored items).
 *
 * <p>The budget is a round's, not a batch's: a fragment of a round of R batches carries the
 * cluster's round budget {@code B = R·n} and its offset (items the trainer already took from the
 * cluster this round). The pool draws the round's CCS selection of B items, seeded per (trainer,
 * round, cluster) so every batch of the round recomputes the same one while the scores hold, in a
 * seeded random order, and the batch takes the next n of it; what that cannot give (scores that
 * changed, a pool that grew) is drawn by CCS over the rest. With a per-batch budget of a few items
 * per cluster, strata filled "from the smallest up" would mean the largest strata only.
 *
 * <p>Quarantine ({@code excludedGroups}): an item holding a quarantined group value is no candidate
 * at all, before pruning or quotas. A slot of the fragment that holds one is replaced by an item
 * drawn as the fragment's other pool-chosen items are, so that the batch stays full while the
 * cluster has enough other items.
 */
public final class PoolDraw {

  /** A drawn item: its slot, the example, and the cycle to record (−1 when the pool chose it). */
  public record Drawn(long slot, BatchExample example, long cycle) {}

  /** One pooled item. */
  public record Item(long slot, BatchExample example) {}

  private static final long SALT = 0x706f6f6cL;

  private PoolDraw() {}

  /** Items the fragment asks for. */
  public static int requested(PlanFragment f) {
    return requested(
        f.getGroupAttribute(),
        f.getGroupQuotas(),
        f.getOtherQuota(),
        f.getFreeQuota(),
        f.getSlots().size(),
        f.getCount());
  }

  /**
   * Items a fragment with these fields asks for: its group quotas when it has a group attribute
   * (quotas, other and free), else its slots and its pool-chosen count. The planner calls it on a
   * fragment it is still building.
   */
  public static int requested(
      String groupAttribute,
      Map<String, Integer> groupQuotas,
      int otherQuota,
      int freeQuota,
      int slots,
      int count) {
    if (groupAttribute != null) {
      int n = otherQuota + freeQuota;
      for (int q : groupQuotas.values()) {
        n += q;
      }
      return n;
    }
    return slots + count;
  }

  /** Whether the fragment needs the cluster's items rather than only its slots. */
  public static boolean needsScan(PlanFragment f) {
    return f.getGroupAttribute() != null
        || f.getStrategy() != null
        || f.getCount() > 0
        || !f.getExcludedGroups().isEmpty();
  }

  /** Whether the example holds one of the quarantined group values {@code attr=value}. */
  public static boolean excluded(BatchExample example, List<String> groups) {
    for (String g : groups) {
      int eq = g.indexOf('=');
      if (eq > 0 && g.substring(eq + 1).equals(GroupValues.valueOf(example, g.substring(0, eq)))) {
        return true;
      }
    }
    return false;
  }

  /** Draws what {@code f} asks of {@code items} (the cluster's whole pool, in slot order). */
  public static List<Drawn> draw(PlanFragment f, List<Item> pooled) {
    List<Item> items = pooled;
    int replaced = 0;
    if (!f.getExcludedGroups().isEmpty()) {
      Set<Long> named = new HashSet<>(f.getSlots());
      items = new ArrayList<>(pooled.size());
      for (Item it : pooled) {
        if (!excluded(it.example(), f.getExcludedGroups())) {
          items.add(it);
        } else if (named.remove(it.slot())) {
          replaced++;
        }
      }
    }
    Random rng = new Random(Seeds.mix(f.getHeader().getSeed(), f.getClusterId(), SALT));
    boolean coverage = CoveragePolicy.STRATEGY.equals(f.getStrategy());
    double beta = f.getStrategyParams().getOrDefault(CoveragePolicy.BETA_KEY, 0.0);
    int strata =
        (int) Math.round(f.getStrategyParams().getOrDefault(CoveragePolicy.STRATA_KEY, 1.0));
    List<Item> eligible = coverage ? unpruned(items, beta) : items;
    Map<String, Double> params = f.getStrategyParams();
    Map<Long, Item> bySlot = new HashMap<>();
    for (Item it : eligible) {
      bySlot.put(it.slot(), it);
    }
    Set<Long> taken = new HashSet<>();
    List<Drawn> out = new ArrayList<>();
    String attribute = f.getGroupAttribute();
    if (attribute == null) {
      for (int i = 0; i < f.getSlots().size(); i++) {
        Item it = bySlot.get(f.getSlots().get(i));
        if (it != null && taken.add(it.slot())) {
          out.add(new Drawn(it.slot(), it.example(), cycleOf(f, i)));
        }
      }
      int count = f.getCount() + replaced;
      if (coverage && params.containsKey(CoveragePolicy.BUDGET_KEY)) {
        count -=
            roundSlice(
                eligible,
                taken,
                count,
                params.get(CoveragePolicy.BUDGET_KEY).intValue(),
                params.getOrDefault(CoveragePolicy.OFFSET_KEY, 0.0).intValue(),
                strata,
                new Random(
                    Seeds.mix(
                        params.getOrDefault(CoveragePolicy.ROUND_SEED_KEY, 0.0).longValue(),
                        f.getClusterId())),
                out);
      }
      choose(eligible, taken, count, coverage, strata, rng, out);
      return out;
    }
    Map<String, Integer> left = new TreeMap<>(f.getGroupQuotas());
    int spareTotal = 0;
    for (int n : f.getGroupSpare().values()) {
      spareTotal += Math.max(0, n);
    }
    int otherHeld = Math.min(spareTotal, f.getOtherQuota());
    int freeHeld = Math.min(spareTotal - otherHeld, f.getFreeQuota());
    int otherLeft = f.getOtherQuota() - otherHeld;
    int freeLeft = f.getFreeQuota() - freeHeld;
    for (int i = 0; i < f.getSlots().size(); i++) {
      Item it = bySlot.get(f.getSlots().get(i));
      if (it == null || taken.contains(it.slot())) {
        continue;
      }
      String value = GroupValues.valueOf(it.example(), attribute);
      boolean named = value != null && left.containsKey(value);
      if (named && left.get(value) > 0) {
        left.merge(value, -1, Integer::sum);
      } else if (!named && otherLeft > 0) {
        otherLeft--;
      } else if (freeLeft > 0) {
        freeLeft--;
      } else {
        continue;
      }
      taken.add(it.slot());
      out.add(new Drawn(it.slot(), it.example(), cycleOf(f, i)));
    }
    for (Map.Entry<String, Integer> e : left.entrySet()) {
      if (e.getValue() > 0) {
        String value = e.getKey();
        List<Item> ofValue = new ArrayList<>();
        for (Item it : eligible) {
          if (value.equals(GroupValues.valueOf(it.example(), attribute))) {
            ofValue.add(it);
          }
        }
        choose(ofValue, taken, e.getValue(), coverage, strata, rng, out);
      }
    }
    for (Map.Entry<String, Integer> e : new TreeMap<>(f.getGroupSpare()).entrySet()) {
      int places = Math.min(e.getValue(), otherHeld + freeHeld);
      if (places <= 0) {
        continue;
      }
      List<Item> ofValue = new ArrayList<>();
      for (Item it : eligible) {
        if (e.getKey().equals(it.example().getGroups().get(attribute))) {
          ofValue.add(it);
        }
      }
      int before = out.size();
      choose(ofValue, taken, places, coverage, strata, rng, out);
      int used = out.size() - before;
      int fromOther = Math.min(used, otherHeld);
      otherHeld -= fromOther;
      freeHeld -= used - fromOther;
    }
    otherLeft += otherHeld;
    freeLeft += freeHeld;
    if (otherLeft > 0) {
      List<Item> others = new ArrayList<>();
      for (Item it : eligible) {
        String value = GroupValues.valueOf(it.example(), attribute);
        if (value == null || !left.containsKey(value)) {
          others.add(it);
        }
      }
      choose(others, taken, otherLeft, coverage, strata, rng, out);
    }
    choose(eligible, taken, freeLeft, coverage, strata, rng, out);
    return out;
  }

  private static long cycleOf(PlanFragment f, int i) {
    return i < f.getCycles().size() ? f.getCycles().get(i) : -1;
  }

  /**
   * The round's CCS selection of {@code budget} items, in a random order, from position {@code
   * offset}: up to {@code count} not yet taken are added to {@code out}. Returns how many.
   */
  static int roundSlice(
      List<Item> eligible,
      Set<Long> taken,
      int count,
      int budget,
      int offset,
      int strata,
      Random roundRng,
      List<Drawn> out) {
    List<Item> round = new ArrayList<>(stratified(eligible, budget, strata, roundRng));
    java.util.Collections.shuffle(round, roundRng);
    int added = 0;
    for (int i = Math.max(0, offset); i < round.size() && added < count; i++) {
      Item it = round.get(i);
      if (taken.add(it.slot())) {
        out.add(new Drawn(it.slot(), it.example(), -1));
        added++;
      }
    }
    return added;
  }

  /** The items left after pruning the hardest ⌊β·S⌋ of the S scored ones; unscored items stay. */
  static List<Item> unpruned(List<Item> items, double beta) {
    List<Item> scored = new ArrayList<>();
    for (Item it : items) {
      if (scored(it)) {
        scored.add(it);
      }
    }
    int prune = (int) Math.floor(beta * scored.size());
    if (prune == 0) {
      return items;
    }
    List<Item> byHardness = scored;
    byHardness.sort(
        Comparator.comparingDouble((Item it) -> -score(it)).thenComparingLong(it -> -it.slot()));
    Set<Long> pruned = new HashSet<>();
    for (int i = 0; i < prune; i++) {
      pruned.add(byHardness.get(i).slot());
    }
    List<Item> kept = new ArrayList<>(items.size() - prune);
    for (Item it : items) {
      if (!pruned.contains(it.slot())) {
        kept.add(it);
      }
    }
    return kept;
  }

  static double score(Item it) {
    Double s = it.example().getScore();
    return s == null || !Double.isFinite(s) ? 0.0 : s;
  }

  static boolean scored(Item it) {
    Double s = it.example().getScore();
    return s != null && Double.isFinite(s);
  }

  /** Adds up to {@code count} items of {@code candidates} not yet taken. */
  private static void choose(
      List<Item> candidates,
      Set<Long> taken,
      int count,
      boolean coverage,
      int strata,
      Random rng,
      List<Drawn> out) {
    if (count <= 0) {
      return;
    }
    List<Item> open = new ArrayList<>();
    for (Item it : candidates) {
      if (!taken.contains(it.slot())) {
        open.add(it);
      }
    }
    List<Item> chosen = coverage ? stratified(open, count, strata, rng) : uniform(open, count, rng);
    for (Item it : chosen) {
      taken.add(it.slot());
      out.add(new Drawn(it.slot(), it.example(), -1));
    }
  }

  /** {@code count} of {@code items} uniformly without replacement (partial Fisher–Yates). */
  static List<Item> uniform(List<Item> items, int count, Random rng) {
    List<Item> pool = new ArrayList<>(items);
    int m = Math.min(count, pool.size());
    for (int i = 0; i < m; i++) {
      int j = i + rng.nextInt(pool.size() - i);
      Item t = pool.get(i);
      pool.set(i, pool.get(j));
      pool.set(j, t);
    }
    return new ArrayList<>(pool.subList(0, m));
  }

  /**
   * CCS: the unscored their uniform share, then equal-width score strata over the scored items,
   * smallest first.
   */
  static List<Item> stratified(List<Item> items, int budget, int strata, Random rng) {
    if (items.isEmpty()) {
      return List.of();
    }
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    List<Item> unscored = new ArrayList<>();
    for (Item it : items) {
      if (scored(it)) {
        lo = Math.min(lo, score(it));
        hi = Math.max(hi, score(it));
      } else {
        unscored.add(it);
      }
    }
    double width = (hi - lo) / strata;
    TreeMap<Integer, List<Item>> byStratum = new TreeMap<>();
    for (Item it : items) {
      if (scored(it)) {
        int s = width > 0 ? (int) Math.min(strata - 1, Math.floor((score(it) - lo) / width)) : 0;
        byStratum.computeIfAbsent(s, k -> new ArrayList<>()).add(it);
      }
    }
    // the unscored get their part of the budget as uniform sampling would give it (rounded at
    // random, right in expectation): fresh items keep flowing at the pool's own rate
    double ideal = (double) budget * unscored.size() / items.size();
    int fresh = (int) Math.floor(ideal) + (rng.nextDouble() < ideal - Math.floor(ideal) ? 1 : 0);
    List<Item> out = new ArrayList<>(uniform(unscored, fresh, rng));
    List<List<Item>> order = new ArrayList<>(byStratum.values());
    // stable sort: equal sizes keep score order
    order.sort(Comparator.comparingInt(List::size));
    int remaining = budget - out.size();
    for (int i = 0; i < order.size() && remaining > 0; i++) {
      int left = order.size() - i;
      int m = Math.min(order.get(i).size(), remaining / left);
      out.addAll(uniform(order.get(i), m, rng));
      remaining -= m;
    }
    if (remaining > 0) {
      // too few scored items: the rest from the unscored
      List<Item> rest = new ArrayList<>(unscored);
      rest.removeAll(out);
      out.addAll(uniform(rest, remaining, rng));
    }
    return out;
  }
}
