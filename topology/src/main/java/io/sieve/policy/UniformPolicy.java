package io.sieve.policy;

import io.sieve.avro.TrainerState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * RS2, repeated random sampling without replacement (Okanovic et al.): each batch is a uniform
 * random subset of the pool, and no example repeats until the whole pool of the cycle has been
 * seen.
 *
 * <p>A cycle starts over every cluster's current slots, each cluster walked in its own keyed
 * permutation ({@link Cursors}). The pool keeps growing while the cycle runs: the slots that arrive
 * meanwhile (in a known cluster, or a cluster first seen mid-cycle) belong to the current cycle as
 * its arrivals, walked by a second keyed permutation per block of arrivals ({@link
 * Cursors#takeExtension}). A batch's share of each cluster's base and arrivals is a multivariate
 * hypergeometric draw over what each has left unserved, so the union behaves as one shuffled pool
 * to which new items are added at random positions of the unserved rest. The cycle ends only when
 * nothing pooled so far is unserved; the batch then takes the tail, a new cycle reshuffles
 * everything, and the batch takes the rest from it. Hence the guarantee: <em>no example is served a
 * second time while an example pooled before that moment is still unserved in this cycle</em>.
 * (Waiting for the next cycle instead would starve fresh data: at a budget of a fraction of the
 * pool per run, a cycle never ends.)
 *
 * <p>Once a cluster's pool is full, a new example replaces an old one in its slot (reservoir): if
 * that slot was already served in the cycle, the newcomer waits for the next cycle.
 *
 * <p><b>Recency mix</b> ({@code recency.share} r, default 0): for a feed whose newest data matters
 * (drift), a share r of each batch is drawn first from the cycle's unserved arrivals alone (the
 * examples pooled since the trainer's current cycle began), hypergeometrically over the clusters'
 * arrivals, and the rest as above from everything unserved. r·n is rounded stochastically (seeded
 * by the batch), so the share holds on average; with fewer arrivals than that, all of them are
 * taken and the rest is uniform. No-repeat holds as before: both parts walk the same cursors. The
 * batch's expected share of cluster k is then {@code s_k = (1 − ρ)·N_k/N + ρ·A_k/A}, with ρ the
 * share actually drawn from the A unserved arrivals (A_k in k) and N_k/N the pool share that
 * uniform sampling gives k, so each cluster's sampling weight is {@code (N_k/N)/s_k}: 1 at r = 0,
 * below 1 for a cluster full of fresh examples. Like a group constraint, recency also favours the
 * fresh examples <em>inside</em> a cluster, which a per-cluster weight does not undo.
 */
public final class UniformPolicy implements SelectionPolicy {

  public static final String NAME = "uniform";
  public static final String RECENCY_SHARE = "recency.share";
  public static final double RECENCY_SHARE_DEFAULT = 0;

  /** Salt of the recency part's rounding and draw, apart from the rest of the batch. */
  private static final long RECENCY_SALT = 0x726563656eL;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void checkParams(Map<String, String> params) {
    recencyShare(params);
  }

  static double recencyShare(Map<String, String> params) {
    return new Params(params).number(RECENCY_SHARE, RECENCY_SHARE_DEFAULT, 0, 1);
  }

  /** The expected shares computed when the draw was made (null without a recency mix). */
  @Override
  public Map<Integer, Double> batchShares(TrainerState state, PlanContext context, Draw draw) {
    return draw.expectedShares();
  }

  @Override
  public Draw draw(
      TrainerState state, SortedMap<Integer, Long> poolSizes, int batchSize, long batchSeed) {
    Random rng = new Random(batchSeed);
    Cursors cursors = new Cursors(state);
    TreeMap<Integer, List<Draw.Pick>> chosen = new TreeMap<>();
    long firstCycle = state.getCycle();
    int need = batchSize;
    int[] ids = poolSizes.keySet().stream().mapToInt(Integer::intValue).toArray();
    int k = ids.length;
    double r = state.getSpec() == null ? 0 : recencyShare(state.getSpec().getParams());
    Map<Integer, Double> expected = null;
    if (r > 0) {
      expected = new TreeMap<>();
      need -= recent(state, cursors, poolSizes, ids, batchSize, r, batchSeed, chosen, expected);
    }
    // two passes suffice when the pool holds a batch; the bound guards against a shrinking pool
    for (int pass = 0; need > 0 && pass < 4; pass++) {
      if (!cursorsEmpty(state)) {
        for (int id : ids) {
          cursors.join(id, state.getCycle());
        }
      }
      // entry 2i: cluster i's slots of the cycle's start; 2i + 1: its arrivals since
      long[] remaining = new long[2 * k];
      long total = 0;
      for (int i = 0; i < k; i++) {
        long size = poolSizes.get(ids[i]);
        remaining[2 * i] = cursors.remaining(ids[i]);
        remaining[2 * i + 1] = cursors.extensionRemaining(ids[i], size);
        total += remaining[2 * i] + remaining[2 * i + 1];
      }
      if (total == 0) {
        long cycle = state.getCycle() + (cursorsEmpty(state) ? 0 : 1);
        state.setCycle(cycle);
        for (Map.Entry<Integer, Long> e : poolSizes.entrySet()) {
          cursors.startCycle(e.getKey(), cycle, e.getValue());
        }
        cursors.save();
        if (pass == 0 && chosen.isEmpty()) {
          // (a recency part already drawn belongs to the cycle that just ended)
          firstCycle = cycle;
        }
        continue;
      }
      int[] quota = Hypergeometric.draw((int) Math.min(need, total), remaining, rng);
      for (int i = 0; i < k; i++) {
        int base = quota[2 * i];
        int arrivals = quota[2 * i + 1];
        if (base + arrivals == 0) {
          continue;
        }
        List<Draw.Pick> got = chosen.computeIfAbsent(ids[i], c -> new ArrayList<>());
        int before = got.size();
        if (base > 0) {
          got.addAll(cursors.take(ids[i], base));
        }
        if (arrivals > 0) {
          got.addAll(cursors.takeExtension(ids[i], arrivals, poolSizes.get(ids[i])));
        }
        need -= got.size() - before;
      }
    }
    cursors.save();
    chosen.values().removeIf(List::isEmpty);
    Draw draw = new Draw(chosen, firstCycle);
    return expected == null ? draw : draw.withExpectedShares(expected);
  }

  /**
   * The recency part: a share r of the batch (rounded stochastically) from the cycle's unserved
   * arrivals, into {@code chosen}; fills {@code expected} with s_k of the class comment. Returns
   * the number of examples taken.
   */
  private static int recent(
      TrainerState state,
      Cursors cursors,
      SortedMap<Integer, Long> poolSizes,
      int[] ids,
      int batchSize,
      double r,
      long batchSeed,
      TreeMap<Integer, List<Draw.Pick>> chosen,
      Map<Integer, Double> expected) {
    int k = ids.length;
    long[] arrivals = new long[k];
    long total = 0;
    if (!cursorsEmpty(state)) {
      for (int i = 0; i < k; i++) {
        cursors.join(ids[i], state.getCycle());
        arrivals[i] = cursors.extensionRemaining(ids[i], poolSizes.get(ids[i]));
        total += arrivals[i];
      }
    }
    Random rng = new Random(Seeds.mix(batchSeed, RECENCY_SALT));
    double exact = r * batchSize;
    int wanted = (int) Math.floor(exact) + (rng.nextDouble() < exact - Math.floor(exact) ? 1 : 0);
    int take = (int) Math.min(Math.min(wanted, total), batchSize);
    // ρ: the share of the batch the arrivals get in expectation (all of them when too few)
    double rho = batchSize > 0 ? Math.min(exact, total) / batchSize : 0;
    double pooled = 0;
    for (long n : poolSizes.values()) {
      pooled += n;
    }
    for (int i = 0; i < k; i++) {
      double natural = pooled > 0 ? poolSizes.get(ids[i]) / pooled : 0;
      double fresh = total > 0 ? arrivals[i] / (double) total : 0;
      expected.put(ids[i], (1 - rho) * natural + rho * fresh);
    }
    if (take == 0) {
      return 0;
    }
    int[] quota = Hypergeometric.draw(take, arrivals, rng);
    int got = 0;
    for (int i = 0; i < k; i++) {
      if (quota[i] > 0) {
        List<Draw.Pick> picks = cursors.takeExtension(ids[i], quota[i], poolSizes.get(ids[i]));
        chosen.computeIfAbsent(ids[i], c -> new ArrayList<>()).addAll(picks);
        got += picks.size();
      }
    }
    return got;
  }

  private static boolean cursorsEmpty(TrainerState state) {
    return state.getCursors().isEmpty();
  }
}
