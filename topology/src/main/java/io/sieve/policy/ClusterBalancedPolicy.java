package io.sieve.policy;

import io.sieve.avro.TrainerState;
import java.util.Random;
import java.util.SortedMap;

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
    int[] ids = poolSizes.keySet().stream().mapToInt(Integer::intValue).toArray();
    long[] capacity = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      capacity[i] = poolSizes.get(ids[i]);
    }
    int[] quota = WaterFilling.allocate(batchSize, capacity, rng);
    return ClusterDraws.take(state, poolSizes, ids, quota);
  }
}
