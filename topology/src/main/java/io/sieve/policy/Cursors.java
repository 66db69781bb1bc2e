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
 * order of a keyed Feistel permutation seeded from (trainer seed, trainer, cluster, c). Nothing but
 * the cursor (cycle, n, drawn) is stored: the i-th slot of a cycle is recomputed in O(1). When a
 * cycle wraps inside one batch, slots already taken by that batch are skipped, so a batch never
 * holds an example twice.
 *
 * <p>Examples that arrive mid-cycle (slots n, n+1, … up to the pool's current size) join the next
 * cycle under {@link #take}; {@link #takeExtension} serves them in the current one instead. They
 * are walked block by block: a block is the range of slots pending when it opens, visited in the
 * order of its own keyed permutation; the next block opens over whatever arrived meanwhile once the
 * block is used up. So the state stays three numbers per cluster whatever the arrivals, every slot
 * pooled during the cycle is served once in it, and older arrivals are never left behind by newer
 * ones.
 */
public final class Cursors {

  /** Salt of the arrivals' permutations, apart from the cycle's own. */
  private static final long EXTENSION_SALT = 0x617272697661L;

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

  /**
   * Makes sure the cluster has a cursor in {@code cycle}: a cluster first seen mid-cycle gets an
   * empty base range, so all its slots are arrivals of that cycle.
   */
  public void join(int cluster, long cycle) {
    ClusterCursor c = byCluster.get(cluster);
    if (c == null || c.getCycle() != cycle) {
      startCycle(cluster, cycle, 0);
    }
  }

  /** Arrivals of the cluster's current cycle not yet served, at pool size {@code poolSize}. */
  public long extensionRemaining(int cluster, long poolSize) {
    ClusterCursor c = byCluster.get(cluster);
    if (c == null) {
      return 0;
    }
    long inBlock =
        c.getExtensionStart() < 0
            ? 0
            : c.getExtensionEnd() - c.getExtensionStart() - c.getExtensionDrawn();
    return inBlock + Math.max(0, poolSize - pendingFrom(c));
  }

  /**
   * Takes up to {@code count} of the cluster's arrivals of the current cycle (slots from the
   * cycle's frozen size up to {@code poolSize}), skipping any slot this batch already holds.
   */
  public List<Draw.Pick> takeExtension(int cluster, int count, long poolSize) {
    ClusterCursor c = byCluster.get(cluster);
    List<Draw.Pick> out = new ArrayList<>(count);
    if (c == null) {
      return out;
    }
    Set<Long> taken = takenThisBatch.computeIfAbsent(cluster, k -> new HashSet<>());
    while (out.size() < count) {
      long start = c.getExtensionStart();
      long end = c.getExtensionEnd();
      long drawn = c.getExtensionDrawn();
      long pending = pendingFrom(c);
      if (start < 0 || drawn >= end - start) {
        if (poolSize <= pending) {
          break;
        }
        start = pending;
        end = poolSize;
        drawn = 0;
      }
      FeistelPermutation perm =
          new FeistelPermutation(
              Seeds.mix(trainerSeed, cluster, c.getCycle(), start, EXTENSION_SALT), end - start);
      while (out.size() < count && drawn < end - start) {
        long slot = start + perm.apply(drawn++);
        if (taken.add(slot)) {
          out.add(new Draw.Pick(slot, c.getCycle()));
        }
      }
      c.setExtensionStart(start);
      c.setExtensionEnd(end);
      c.setExtensionDrawn(drawn);
    }
    return out;
  }

  /** First slot not yet in any block of the cycle: the block's end, or the frozen size. */
  private static long pendingFrom(ClusterCursor c) {
    return c.getExtensionStart() < 0 ? c.getSize() : c.getExtensionEnd();
  }

  /** Writes the cursors back into the trainer state. */
  public void save() {
    state.setCursors(new ArrayList<>(byCluster.values()));
  }

  public Iterable<Integer> clusters() {
    return byCluster.keySet();
  }
}
