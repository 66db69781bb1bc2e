package io.sieve.policy;

import io.sieve.avro.ClusterCursor;
import io.sieve.avro.TrainerState;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Shared steps of the per-cluster policies: turning weights into integer counts and counts into
 * slots.
 *
 * <p>{@link #multinomial} draws {@code n} independent categorical samples with probabilities {@code
 * w / Σw} (inverse CDF, binary search), which is an exact Multinomial(n, w) draw. {@link #capped}
 * then enforces availability: every count above its cluster's capacity is cut to it, and the cut
 * units are handed to the clusters with room by {@link WaterFilling}, so the batch keeps its size
 * whenever the pool holds it. {@link #take} draws each cluster's count through the trainer's {@link
 * Cursors}: without replacement within the cluster's cycle, never twice within a batch.
 */
public final class ClusterDraws {

  private ClusterDraws() {}

  /** An exact Multinomial(n, w/Σw) draw; all-zero weights give all-zero counts. */
  public static int[] multinomial(int n, double[] weights, Random rng) {
    int k = weights.length;
    int[] counts = new int[k];
    double[] cdf = new double[k];
    double total = 0;
    for (int i = 0; i < k; i++) {
      if (!(weights[i] >= 0) || Double.isInfinite(weights[i])) {
        throw new IllegalArgumentException("weight " + i + " is not finite and ≥ 0: " + weights[i]);
      }
      total += weights[i];
      cdf[i] = total;
    }
    if (total <= 0 || k == 0) {
      return counts;
    }
    for (int s = 0; s < n; s++) {
      double u = rng.nextDouble() * total;
      int lo = 0;
      int hi = k - 1;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (cdf[mid] > u) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      // a zero-weight entry shares its cdf with its predecessor and can never be the first > u
      counts[lo]++;
    }
    return counts;
  }

  /**
   * Caps {@code counts} at {@code capacities} and water-fills the excess over the remaining room.
   * The result sums to {@code min(Σ counts, Σ capacities)}.
   */
  public static int[] capped(int[] counts, long[] capacities, Random rng) {
    int[] out = counts.clone();
    int excess = 0;
    long[] room = new long[out.length];
    for (int i = 0; i < out.length; i++) {
      if (out[i] > capacities[i]) {
        excess += out[i] - (int) capacities[i];
        out[i] = (int) capacities[i];
      }
      room[i] = capacities[i] - out[i];
    }
    if (excess > 0) {
      int[] extra = WaterFilling.allocate(excess, room, rng);
      for (int i = 0; i < out.length; i++) {
        out[i] += extra[i];
      }
    }
    return out;
  }

  /**
   * Draws the given count per cluster through the trainer's cursors. Inside a cluster, the slots of
   * its cycle's start and those pooled since (its arrivals) are one unserved set: a count is split
   * between them by a hypergeometric draw over what each has left, as {@link UniformPolicy} does
   * over the whole pool. Serving only the cycle's starting slots would hold an arrival back until
   * its cluster's cycle ends, which at a budget of a fraction of the pool never comes: a class that
   * appears mid-run would never be served.
   */
  public static Draw take(
      TrainerState state, SortedMap<Integer, Long> poolSizes, int[] ids, int[] counts, Random rng) {
    Cursors cursors = new Cursors(state);
    TreeMap<Integer, List<Draw.Pick>> chosen = new TreeMap<>();
    long lowestCycle = Long.MAX_VALUE;
    for (int i = 0; i < ids.length; i++) {
      if (counts[i] == 0) {
        continue;
      }
      int cluster = ids[i];
      long size = poolSizes.get(cluster);
      List<Draw.Pick> got = new ArrayList<>(counts[i]);
      // a new cursor, the tail of the current cycle, then a fresh one (count ≤ pool size)
      for (int pass = 0; got.size() < counts[i] && pass < 4; pass++) {
        long base = cursors.remaining(cluster);
        long fresh = cursors.extensionRemaining(cluster, size);
        if (base + fresh == 0) {
          ClusterCursor c = cursors.get(cluster);
          cursors.startCycle(cluster, c == null ? 0 : c.getCycle() + 1, size);
          continue;
        }
        int want = (int) Math.min(counts[i] - got.size(), base + fresh);
        int[] split = Hypergeometric.draw(want, new long[] {base, fresh}, rng);
        if (split[0] > 0) {
          got.addAll(cursors.take(cluster, split[0]));
        }
        if (split[1] > 0) {
          got.addAll(cursors.takeExtension(cluster, split[1], size));
        }
      }
      lowestCycle = Math.min(lowestCycle, cursors.get(cluster).getCycle());
      chosen.put(cluster, got);
    }
    cursors.save();
    return new Draw(chosen, lowestCycle == Long.MAX_VALUE ? 0 : lowestCycle);
  }

  /** Cluster ids in ascending order. */
  public static int[] ids(SortedMap<Integer, Long> poolSizes) {
    return poolSizes.keySet().stream().mapToInt(Integer::intValue).toArray();
  }

  /** Pool sizes, index-aligned with {@link #ids}. */
  public static long[] capacities(SortedMap<Integer, Long> poolSizes) {
    return poolSizes.values().stream().mapToLong(Long::longValue).toArray();
  }
}
