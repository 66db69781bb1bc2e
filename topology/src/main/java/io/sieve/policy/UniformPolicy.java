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
 */
public final class UniformPolicy implements SelectionPolicy {

  public static final String NAME = "uniform";

  @Override
  public String name() {
    return NAME;
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
        if (pass == 0) {
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
    return new Draw(chosen, firstCycle);
  }

  private static boolean cursorsEmpty(TrainerState state) {
    return state.getCursors().isEmpty();
  }
}
