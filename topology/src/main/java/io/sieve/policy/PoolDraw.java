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
 * <p>Cycles: the pool keeps, per trainer, cluster and group, a cycle of its own draws. The group is
 * the item's value of the fragment's group attribute ({@code attribute=value}), or the whole
 * cluster ({@code ""}) without one. An item already served in its group's current cycle is no
 * candidate, not even as one of the fragment's slots; when a draw needs more than a group has
 * unserved, that group starts its next cycle. So under a group constraint and under coverage no
 * example repeats within its cycle, and a cycle ends only once every eligible item of its group was
 * served (an example the reservoir pooled mid-cycle joins the current one). Each drawn item names
 * its group and cycle, for the caller to record ({@link Mark}). Slots of a fragment without a group
 * attribute keep the planner's cursor cycle.
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

  /**
   * A drawn item: its slot, the example, the cycle it is drawn in, and the group whose cycle that
   * is ({@link #groupOf}); the group is null for a slot the planner's cursor chose, whose cycle is
   * the cursor's.
   */
  public record Drawn(long slot, BatchExample example, long cycle, String group) {
    public Drawn(long slot, BatchExample example, long cycle) {
      this(slot, example, cycle, null);
    }
  }

  /** The last time the pool served a slot to the fragment's trainer. */
  public record Mark(String id, String group, long cycle) {}

  /** One pooled item, with the trainer's mark of its slot, if any. */
  public record Item(long slot, BatchExample example, Mark mark) {
    public Item(long slot, BatchExample example) {
      this(slot, example, null);
    }
  }

  /**
   * The cluster's items as the draw reads them: one value's items through the pool's group index, a
   * slot by a lookup, the whole cluster only where the draw needs it.
   */
  public interface Source {
    /** Every item of the cluster, in slot order. */
    List<Item> all();

    /** The items whose value of {@code attribute} is {@code value}, in slot order. */
    List<Item> ofValue(String attribute, String value);

    /** The item at {@code slot}, or null. */
    Item at(long slot);
  }

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

  /**
   * The group an example's pool-side cycle runs over: {@code attribute=value} under a group
   * constraint ({@code attribute=} for an example without the attribute), the whole cluster ({@code
   * ""}) without one.
   */
  public static String groupOf(BatchExample example, String attribute) {
    if (attribute == null) {
      return "";
    }
    String value = GroupValues.valueOf(example, attribute);
    return attribute + "=" + (value == null ? "" : value);
  }

  /** A source over a list of the cluster's items (its whole pool, in slot order). */
  public static Source listed(List<Item> pooled) {
    Map<Long, Item> bySlot = new HashMap<>();
    for (Item it : pooled) {
      bySlot.put(it.slot(), it);
    }
    return new Source() {
      @Override
      public List<Item> all() {
        return pooled;
      }

      @Override
      public List<Item> ofValue(String attribute, String value) {
        List<Item> out = new ArrayList<>();
        for (Item it : pooled) {
          if (value.equals(GroupValues.valueOf(it.example(), attribute))) {
            out.add(it);
          }
        }
        return out;
      }

      @Override
      public Item at(long slot) {
        return bySlot.get(slot);
      }
    };
  }

  /** Draws what {@code f} asks of {@code pooled} (the cluster's whole pool, in slot order). */
  public static List<Drawn> draw(PlanFragment f, List<Item> pooled) {
    return draw(f, listed(pooled));
  }

  /**
   * The trainer's pool-side cycles, per group of the cluster: a group's current cycle is the
   * highest of its marks (0 without any), an item is served while its mark names its own example,
   * group and that cycle, and a group whose eligible items are all served starts its next cycle.
   * Only the marks of a group's whole item list set its cycle: the whole cluster's, or one value's
   * read through the index.
   */
  private static final class Cycles {
    private final String attribute;
    private final Source source;
    private final Map<String, Long> current = new HashMap<>();
    private final Set<String> known = new HashSet<>();
    private boolean allKnown;

    Cycles(String attribute, Source source) {
      this.attribute = attribute;
      this.source = source;
    }

    String group(Item it) {
      return groupOf(it.example(), attribute);
    }

    long current(String group) {
      if (!allKnown && !known.contains(group)) {
        int eq = group.indexOf('=');
        if (attribute == null || eq < 0 || eq == group.length() - 1) {
          see(source.all(), null);
          allKnown = true;
        } else {
          see(source.ofValue(attribute, group.substring(eq + 1)), group);
          known.add(group);
        }
      }
      return current.getOrDefault(group, 0L);
    }

    /** Takes the cycles of {@code items}' marks: of {@code only} if not null, else of all. */
    private void see(List<Item> items, String only) {
      for (Item it : items) {
        Mark m = it.mark();
        if (m != null && (only == null || only.equals(m.group()))) {
          current.merge(m.group(), m.cycle(), Math::max);
        }
      }
    }

    boolean served(Item it) {
      Mark m = it.mark();
      if (m == null || !m.id().equals(it.example().getId())) {
        return false;
      }
      String g = group(it);
      return m.group().equals(g) && m.cycle() == current(g);
    }

    void roll(String group) {
      current.put(group, current(group) + 1);
    }

    Drawn drawn(Item it) {
      String g = group(it);
      return new Drawn(it.slot(), it.example(), current(g), g);
    }
  }

  /**
   * Draws what {@code f} asks of the cluster. Every item the pool chooses itself, and under a group
   * constraint every item, is drawn in its group's pool-side cycle ({@link Cycles}), so that none
   * repeats within that cycle; the drawn items carry the group and cycle for the caller to mark as
   * served.
   */
  public static List<Drawn> draw(PlanFragment f, Source source) {
    String attribute = f.getGroupAttribute();
    Cycles cycles = new Cycles(attribute, source);
    boolean coverage = CoveragePolicy.STRATEGY.equals(f.getStrategy());
    double beta = f.getStrategyParams().getOrDefault(CoveragePolicy.BETA_KEY, 0.0);
    int strata =
        (int) Math.round(f.getStrategyParams().getOrDefault(CoveragePolicy.STRATA_KEY, 1.0));
    Eligible eligible = new Eligible(source, f.getExcludedGroups(), coverage, beta);
    int replaced = 0;
    Set<Long> named = new HashSet<>();
    for (long slot : f.getSlots()) {
      Item it = source.at(slot);
      if (it != null && named.add(slot) && eligible.quarantined(it)) {
        replaced++;
      }
    }
    Random rng = new Random(Seeds.mix(f.getHeader().getSeed(), f.getClusterId(), SALT));
    Map<String, Double> params = f.getStrategyParams();
    Set<Long> taken = new HashSet<>();
    List<Drawn> out = new ArrayList<>();
    if (attribute == null) {
      for (int i = 0; i < f.getSlots().size(); i++) {
        Item it = source.at(f.getSlots().get(i));
        if (it != null && eligible.test(it) && taken.add(it.slot())) {
          out.add(new Drawn(it.slot(), it.example(), cycleOf(f, i)));
        }
      }
      int count = f.getCount() + replaced;
      if (count <= 0) {
        return out;
      }
      if (coverage && params.containsKey(CoveragePolicy.BUDGET_KEY)) {
        count -=
            roundSlice(
                eligible.all(),
                taken,
                count,
                params.get(CoveragePolicy.BUDGET_KEY).intValue(),
                params.getOrDefault(CoveragePolicy.OFFSET_KEY, 0.0).intValue(),
                strata,
                new Random(
                    Seeds.mix(
                        params.getOrDefault(CoveragePolicy.ROUND_SEED_KEY, 0.0).longValue(),
                        f.getClusterId())),
                cycles,
                out);
      }
      choose(eligible.all(), taken, count, coverage, strata, rng, cycles, out);
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
      Item it = source.at(f.getSlots().get(i));
      if (it == null || !eligible.test(it) || taken.contains(it.slot()) || cycles.served(it)) {
        continue;
      }
      String value = GroupValues.valueOf(it.example(), attribute);
      boolean isNamed = value != null && left.containsKey(value);
      if (isNamed && left.get(value) > 0) {
        left.merge(value, -1, Integer::sum);
      } else if (!isNamed && otherLeft > 0) {
        otherLeft--;
      } else if (freeLeft > 0) {
        freeLeft--;
      } else {
        continue;
      }
      taken.add(it.slot());
      out.add(cycles.drawn(it));
    }
    for (Map.Entry<String, Integer> e : left.entrySet()) {
      if (e.getValue() > 0) {
        List<Item> ofValue = eligible.ofValue(attribute, e.getKey());
        choose(ofValue, taken, e.getValue(), coverage, strata, rng, cycles, out);
      }
    }
    for (Map.Entry<String, Integer> e : new TreeMap<>(f.getGroupSpare()).entrySet()) {
      int places = Math.min(e.getValue(), otherHeld + freeHeld);
      if (places <= 0) {
        continue;
      }
      List<Item> ofValue = eligible.ofValue(attribute, e.getKey());
      int before = out.size();
      choose(ofValue, taken, places, coverage, strata, rng, cycles, out);
      int used = out.size() - before;
      int fromOther = Math.min(used, otherHeld);
      otherHeld -= fromOther;
      freeHeld -= used - fromOther;
    }
    otherLeft += otherHeld;
    freeLeft += freeHeld;
    if (otherLeft > 0) {
      List<Item> others = new ArrayList<>();
      for (Item it : eligible.all()) {
        String value = GroupValues.valueOf(it.example(), attribute);
        if (value == null || !left.containsKey(value)) {
          others.add(it);
        }
      }
      choose(others, taken, otherLeft, coverage, strata, rng, cycles, out);
    }
    if (freeLeft > 0) {
      choose(eligible.all(), taken, freeLeft, coverage, strata, rng, cycles, out);
    }
    return out;
  }

  /**
   * The items a draw may emit: none holding a quarantined value and, under coverage, none of the
   * hardest pruned ones (pruning ranks the whole cluster's scores, so coverage reads the cluster).
   */
  private static final class Eligible {
    private final Source source;
    private final List<String> quarantine;
    private final boolean coverage;
    private final double beta;
    private List<Item> all;
    private Set<Long> allowed;

    Eligible(Source source, List<String> quarantine, boolean coverage, double beta) {
      this.source = source;
      this.quarantine = quarantine;
      this.coverage = coverage;
      this.beta = beta;
    }

    boolean quarantined(Item it) {
      return !quarantine.isEmpty() && excluded(it.example(), quarantine);
    }

    List<Item> all() {
      if (all == null) {
        List<Item> items = source.all();
        if (!quarantine.isEmpty()) {
          List<Item> kept = new ArrayList<>(items.size());
          for (Item it : items) {
            if (!quarantined(it)) {
              kept.add(it);
            }
          }
          items = kept;
        }
        all = coverage ? unpruned(items, beta) : items;
        if (coverage) {
          allowed = new HashSet<>();
          for (Item it : all) {
            allowed.add(it.slot());
          }
        }
      }
      return all;
    }

    boolean test(Item it) {
      if (quarantined(it)) {
        return false;
      }
      if (coverage) {
        all();
        return allowed.contains(it.slot());
      }
      return true;
    }

    List<Item> ofValue(String attribute, String value) {
      if (coverage) {
        List<Item> out = new ArrayList<>();
        for (Item it : all()) {
          if (value.equals(GroupValues.valueOf(it.example(), attribute))) {
            out.add(it);
          }
        }
        return out;
      }
      List<Item> out = new ArrayList<>();
      for (Item it : source.ofValue(attribute, value)) {
        if (!quarantined(it)) {
          out.add(it);
        }
      }
      return out;
    }
  }

  private static long cycleOf(PlanFragment f, int i) {
    return i < f.getCycles().size() ? f.getCycles().get(i) : 0;
  }

  /**
   * The round's CCS selection of {@code budget} items, in a random order, from position {@code
   * offset}: up to {@code count} neither taken nor served in their cycle are added to {@code out}.
   * Returns how many.
   */
  private static int roundSlice(
      List<Item> eligible,
      Set<Long> taken,
      int count,
      int budget,
      int offset,
      int strata,
      Random roundRng,
      Cycles cycles,
      List<Drawn> out) {
    List<Item> round = new ArrayList<>(stratified(eligible, budget, strata, roundRng));
    java.util.Collections.shuffle(round, roundRng);
    int added = 0;
    for (int i = Math.max(0, offset); i < round.size() && added < count; i++) {
      Item it = round.get(i);
      if (!cycles.served(it) && taken.add(it.slot())) {
        out.add(cycles.drawn(it));
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

  /**
   * Adds up to {@code count} items of {@code candidates} not yet taken: first those not served in
   * their group's current cycle; when those run out, every group among the candidates left starts
   * its next cycle and the rest are drawn from them. Candidate lists hold whole groups (a value's
   * eligible items, or the cluster's), so a group starts a new cycle only once all of its eligible
   * items were served in the current one.
   */
  private static void choose(
      List<Item> candidates,
      Set<Long> taken,
      int count,
      boolean coverage,
      int strata,
      Random rng,
      Cycles cycles,
      List<Drawn> out) {
    if (count <= 0) {
      return;
    }
    List<Item> fresh = new ArrayList<>();
    for (Item it : candidates) {
      if (!taken.contains(it.slot()) && !cycles.served(it)) {
        fresh.add(it);
      }
    }
    int added = add(pick(fresh, count, coverage, strata, rng), taken, cycles, out);
    if (added < count) {
      // what CCS's strata could not place, from the unserved uniformly
      added += add(uniform(open(fresh, taken), count - added, rng), taken, cycles, out);
    }
    if (added < count) {
      List<Item> again = open(candidates, taken);
      Set<String> rolled = new HashSet<>();
      for (Item it : again) {
        if (rolled.add(cycles.group(it))) {
          cycles.roll(cycles.group(it));
        }
      }
      add(pick(again, count - added, coverage, strata, rng), taken, cycles, out);
    }
  }

  private static List<Item> pick(
      List<Item> items, int count, boolean coverage, int strata, Random rng) {
    return coverage ? stratified(items, count, strata, rng) : uniform(items, count, rng);
  }

  private static List<Item> open(List<Item> items, Set<Long> taken) {
    List<Item> out = new ArrayList<>();
    for (Item it : items) {
      if (!taken.contains(it.slot())) {
        out.add(it);
      }
    }
    return out;
  }

  private static int add(List<Item> chosen, Set<Long> taken, Cycles cycles, List<Drawn> out) {
    int n = 0;
    for (Item it : chosen) {
      if (taken.add(it.slot())) {
        out.add(cycles.drawn(it));
        n++;
      }
    }
    return n;
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
