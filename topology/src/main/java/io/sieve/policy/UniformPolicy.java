package io.sieve.policy;

import io.sieve.avro.TrainerState;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * RS2, repeated random sampling without replacement (Okanovic et al.): each batch is a uniform
 * random subset of the pool, and no example repeats until the whole pool of the cycle has been
 * seen. A cycle freezes every cluster's size when it starts; the batch's share of each cluster is a
 * multivariate hypergeometric draw over what is left, so the union of clusters behaves as one
 * shuffled pool. When the cycle runs out mid-batch, the batch takes the tail, a new cycle
 * reshuffles everything (new arrivals included), and the batch takes the rest from it.
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
    // two passes suffice when the pool holds a batch; the bound guards against a shrinking pool
    for (int pass = 0; need > 0 && pass < 4; pass++) {
      int[] ids = poolSizes.keySet().stream().mapToInt(Integer::intValue).toArray();
      long[] remaining = new long[ids.length];
      long total = 0;
      for (int i = 0; i < ids.length; i++) {
        remaining[i] = cursors.remaining(ids[i]);
        total += remaining[i];
      }
      if (total == 0) {
        long cycle = state.getCycle() + (cursorsEmpty(state) ? 0 : 1);
        state.setCycle(cycle);
        for (Map.Entry<Integer, Long> e : poolSizes.entrySet()) {
          cursors.startCycle(e.getKey(), cycle, e.getValue());
        }
        if (pass == 0) {
          firstCycle = cycle;
        }
        continue;
      }
      int[] quota = Hypergeometric.draw((int) Math.min(need, total), remaining, rng);
      for (int i = 0; i < ids.length; i++) {
        if (quota[i] > 0) {
          List<Draw.Pick> got = cursors.take(ids[i], quota[i]);
          chosen.computeIfAbsent(ids[i], k -> new java.util.ArrayList<>()).addAll(got);
          need -= got.size();
        }
      }
    }
    cursors.save();
    return new Draw(chosen, firstCycle);
  }

  private static boolean cursorsEmpty(TrainerState state) {
    return state.getCursors().isEmpty();
  }
}
