package io.sieve.policy;

import io.sieve.avro.ClusterCursor;
import io.sieve.avro.TrainerState;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Cluster-balanced sampling (kMQ of Diversify-and-Conquer): the batch is split equally across the
 * clusters that have items; a cluster with fewer items than its share gives the remainder to the
 * others (water-filling), so the batch is never silently short. Within a cluster the draw walks
 * that cluster's own cycle without replacement, so small clusters repeat sooner than large ones,
 * which is the point of balancing.
 */
public final class ClusterBalancedPolicy implements SelectionPolicy {

  public static final String NAME = "cluster-balanced";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Draw draw(
      TrainerState state, SortedMap<Integer, Long> poolSizes, int batchSize, long batchSeed) {
    Random rng = new Random(batchSeed);
    Cursors cursors = new Cursors(state);
    int[] ids = poolSizes.keySet().stream().mapToInt(Integer::intValue).toArray();
    long[] capacity = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      capacity[i] = poolSizes.get(ids[i]);
    }
    int[] quota = WaterFilling.allocate(batchSize, capacity, rng);
    TreeMap<Integer, List<Draw.Pick>> chosen = new TreeMap<>();
    long lowestCycle = Long.MAX_VALUE;
    for (int i = 0; i < ids.length; i++) {
      if (quota[i] == 0) {
        continue;
      }
      int cluster = ids[i];
      List<Draw.Pick> got = new ArrayList<>(quota[i]);
      // at most two cycles: the tail of the current one, then a fresh one (quota ≤ pool size)
      for (int pass = 0; got.size() < quota[i] && pass < 3; pass++) {
        if (cursors.remaining(cluster) == 0) {
          ClusterCursor c = cursors.get(cluster);
          cursors.startCycle(cluster, c == null ? 0 : c.getCycle() + 1, poolSizes.get(cluster));
        }
        got.addAll(cursors.take(cluster, quota[i] - got.size()));
      }
      lowestCycle = Math.min(lowestCycle, cursors.get(cluster).getCycle());
      chosen.put(cluster, got);
    }
    cursors.save();
    return new Draw(chosen, lowestCycle == Long.MAX_VALUE ? 0 : lowestCycle);
  }
}
