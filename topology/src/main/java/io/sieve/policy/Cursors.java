package io.sieve.policy;

import io.sieve.avro.ClusterCursor;
import io.sieve.avro.TrainerState;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A trainer's position in each cluster's random order (RS2 without replacement).
 *
 * <p>A cluster's cycle c visits the slots 0..n−1 that were filled when the cycle began, in the
 * order of a keyed Feistel permutation seeded from (trainer seed, trainer, cluster, c); examples
 * that arrive mid-cycle join the next cycle. Nothing but the cursor (cycle, n, drawn) is stored:
 * the i-th slot of a cycle is recomputed in O(1). When a cycle wraps inside one batch, slots
 * already taken by that batch are skipped, so a batch never holds an example twice.
 */
public final class Cursors {

  private final TrainerState state;
  private final long trainerSeed;
  private final TreeMap<Integer, ClusterCursor> byCluster = new TreeMap<>();
  private final Map<Integer, Set<Long>> takenThisBatch = new TreeMap<>();

  public Cursors(TrainerState state) {
    this.state = state;
    long seed = state.getSpec() == null ? 0 : state.getSpec().getSeed();
    this.trainerSeed = Seeds.mix(seed, Seeds.of(state.getTrainerId()));
    for (ClusterCursor c : state.getCursors()) {
      byCluster.put(c.getClusterId(), c);
    }
  }

  /** The cursor of a cluster, or null when the trainer has not drawn from it yet. */
  public ClusterCursor get(int cluster) {
    return byCluster.get(cluster);
  }

  /** Slots left in the cluster's current cycle (0 for a cluster without a cursor). */
  public long remaining(int cluster) {
    ClusterCursor c = byCluster.get(cluster);
    return c == null ? 0 : c.getSize() - c.getDrawn();
  }

  /** Starts cycle {@code cycle} of a cluster over its {@code size} current slots. */
  public void startCycle(int cluster, long cycle, long size) {
    byCluster.put(
        cluster,
        ClusterCursor.newBuilder()
            .setClusterId(cluster)
            .setCycle(cycle)
            .setSize(size)
            .setDrawn(0)
            .build());
  }

  /**
   * Takes up to {@code count} slots from the cluster's current cycle, skipping any slot this batch
   * already holds; stops early when the cycle is used up.
   */
  public List<Draw.Pick> take(int cluster, int count) {
    ClusterCursor c = byCluster.get(cluster);
    List<Draw.Pick> out = new ArrayList<>(count);
    if (c == null || c.getSize() == 0) {
      return out;
    }
    Set<Long> taken = takenThisBatch.computeIfAbsent(cluster, k -> new HashSet<>());
    FeistelPermutation perm =
        new FeistelPermutation(Seeds.mix(trainerSeed, cluster, c.getCycle()), c.getSize());
    long drawn = c.getDrawn();
    while (out.size() < count && drawn < c.getSize()) {
      long slot = perm.apply(drawn++);
      if (taken.add(slot)) {
        out.add(new Draw.Pick(slot, c.getCycle()));
      }
    }
    c.setDrawn(drawn);
    return out;
  }

  /** Writes the cursors back into the trainer state. */
  public void save() {
    state.setCursors(new ArrayList<>(byCluster.values()));
  }

  public Iterable<Integer> clusters() {
    return byCluster.keySet();
  }
}
