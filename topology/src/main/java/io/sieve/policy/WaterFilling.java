package io.sieve.policy;

import java.util.Objects;
import java.util.Random;

/**
 * Fair division of an integer budget among entries with capacities (max-min fairness).
 *
 * <p>The continuous water level {@code t} solving {@code Σ_i min(cap_i, t) = min(B, Σ cap_i)} is
 * found by repeated equal splitting: with {@code R} budget left and {@code A} open entries, every
 * open entry whose capacity is at most {@code ⌊R / A⌋} is filled to capacity and closed, and this
 * repeats until no entry closes. Each open entry then receives {@code q = ⌊R / A⌋}, and the
 * remainder {@code R − qA < A} goes one unit each to distinct open entries chosen uniformly at
 * random (every open entry has capacity {@code > q}, so it has room). Hence
 *
 * <ul>
 *   <li>{@code Σ alloc_i = min(B, Σ cap_i)} and {@code 0 ≤ alloc_i ≤ cap_i};
 *   <li>entries below capacity receive {@code q} or {@code q + 1};
 *   <li>every entry holds at most {@code q + 1}, since one closed early has capacity {@code ≤ q}:
 *       the allocation is max-min fair up to the indivisible unit.
 * </ul>
 *
 * Each splitting pass is O(k) and closes at least one entry, so the worst case is O(k²).
 */
public final class WaterFilling {

  private WaterFilling() {}

  /**
   * @param budget units to hand out, {@code ≥ 0}
   * @param capacities per-entry maxima, each {@code ≥ 0} (an entry with 0 receives nothing)
   * @param rng breaks the ties of the indivisible remainder
   * @return the allocation, index-aligned with {@code capacities}
   */
  public static int[] allocate(int budget, long[] capacities, Random rng) {
    Objects.requireNonNull(rng, "rng");
    if (budget < 0) {
      throw new IllegalArgumentException("budget must be non-negative: " + budget);
    }
    int k = capacities.length;
    int[] alloc = new int[k];
    // open[0, open) holds the indices of entries still below capacity, in index order
    int[] open = new int[k];
    int openCount = 0;
    for (int i = 0; i < k; i++) {
      if (capacities[i] < 0) {
        throw new IllegalArgumentException("capacity " + i + " is negative: " + capacities[i]);
      }
      if (capacities[i] > 0) {
        open[openCount++] = i;
      }
    }
    long remaining = budget;
    while (openCount > 0) {
      long share = remaining / openCount;
      int kept = 0;
      for (int o = 0; o < openCount; o++) {
        int i = open[o];
        if (capacities[i] <= share) {
          alloc[i] = (int) capacities[i];
          remaining -= capacities[i];
        } else {
          open[kept++] = i;
        }
      }
      if (kept == openCount) {
        break;
      }
      openCount = kept;
    }
    if (openCount == 0) {
      return alloc;
    }
    int share = (int) (remaining / openCount);
    int extra = (int) (remaining - (long) share * openCount);
    for (int o = 0; o < openCount; o++) {
      alloc[open[o]] = share;
    }
    // partial Fisher-Yates: the first `extra` slots become a uniform random subset of open entries
    for (int o = 0; o < extra; o++) {
      int pick = o + rng.nextInt(openCount - o);
      int chosen = open[pick];
      open[pick] = open[o];
      open[o] = chosen;
      alloc[chosen]++;
    }
    return alloc;
  }

  /**
   * Up to {@code count} units in proportion to {@code weight}, each entry at most its cap. Each
   * pass gives every open entry (weight &gt; 0, below its cap) the floor of its ideal part {@code
   * left · w_i / Σ w}, cut at its cap; while some entry was cut the pass repeats over the others.
   * Then the units left over (fewer than the open entries) go one each by systematic sampling on
   * the fractional parts, so entry i gets its extra unit with probability exactly its fraction: the
   * expected allocation is the ideal one wherever no cap binds. Stops early when no entry is open.
   */
  public static int[] proportional(int count, double[] weight, long[] caps, Random rng) {
    int k = weight.length;
    int[] out = new int[k];
    int left = count;
    while (left > 0) {
      double sum = 0;
      for (int i = 0; i < k; i++) {
        if (out[i] < caps[i] && weight[i] > 0) {
          sum += weight[i];
        }
      }
      if (!(sum > 0)) {
        break;
      }
      double[] fraction = new double[k];
      boolean cut = false;
      int given = 0;
      for (int i = 0; i < k; i++) {
        if (out[i] < caps[i] && weight[i] > 0) {
          double ideal = left * weight[i] / sum;
          long room = caps[i] - out[i];
          if (ideal >= room) {
            out[i] += (int) room;
            given += (int) room;
            cut = true;
          } else {
            out[i] += (int) Math.floor(ideal);
            given += (int) Math.floor(ideal);
            fraction[i] = ideal - Math.floor(ideal);
          }
        }
      }
      left -= given;
      if (cut || left == 0) {
        continue;
      }
      // systematic sampling: one point u, u + 1, u + 2, ... over the cumulative fractions
      double u = rng.nextDouble();
      double cumulative = 0;
      for (int i = 0; i < k && left > 0; i++) {
        double before = cumulative;
        cumulative += fraction[i];
        if (fraction[i] > 0 && Math.floor(cumulative - u) > Math.floor(before - u)) {
          out[i]++;
          left--;
        }
      }
    }
    return out;
  }
}
