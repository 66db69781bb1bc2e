package io.sieve.pool;

import io.sieve.cluster.NearestSearch;
import java.util.Arrays;

/**
 * One cluster's near-duplicate window: the unit embeddings of up to {@code R} pooled examples, in
 * one flat row-major array, each with its pool slot and admission order. Every entry names an
 * example that is in the pool now: when a slot is overwritten, its entry is replaced by the
 * newcomer.
 *
 * <p><b>Near duplicates</b> (SemDeDup, Abbas et al. 2023): {@code x} is a near duplicate when
 * {@code max_i ⟨x, e_i⟩ ≥ 1 − ε} over the window. Comparing with the whole pool would cost {@code
 * O(pool)} embedding reads per example; the window costs {@code R} dot products from memory (R·d
 * multiply-adds, ~100 k at R = 256, d = 384), and catches copies of anything pooled among the
 * window's last {@code R} admissions. The price: a near copy of an older example that has left the
 * window is let in. Random-projection buckets would reach further back, but miss pairs that fall
 * either side of a bucket boundary and cost a store read per probe; for feeds where copies arrive
 * close together (re-crawls, retries, paraphrase bursts) the recent window catches most.
 *
 * <p><b>Redundancy</b> (Adapt-∞ style pruning): with {@code trackNearest}, each entry also keeps
 * its nearest-neighbour similarity within the window, {@code n_i = max_{j≠i} ⟨e_i, e_j⟩}. Adding an
 * entry costs the {@code R} dot products already computed for the duplicate check, plus a full
 * recomputation ({@code R} more) only for entries whose nearest neighbour was the one replaced. The
 * most redundant entry is {@code argmax_i n_i}, ties to the oldest, so the choice is deterministic
 * given the input order (and the float summation order of the {@link NearestSearch} kernel).
 *
 * <p>Not thread-safe; owned by one pool task, which rebuilds it from the window store after a
 * restart (nearest-neighbour figures are derived, never stored).
 */
final class NearWindow {

  private final int capacity;
  private final int dimension;
  private final boolean trackNearest;
  private final float[] flat;
  private final long[] slots;
  private final long[] orders;
  private final float[] nearest;
  private final int[] nearestIndex;
  private final float[] scratch;
  private int size;

  NearWindow(int capacity, int dimension, boolean trackNearest) {
    this.capacity = capacity;
    this.dimension = dimension;
    this.trackNearest = trackNearest;
    this.flat = new float[capacity * dimension];
    this.slots = new long[capacity];
    this.orders = new long[capacity];
    this.nearest = new float[capacity];
    this.nearestIndex = new int[capacity];
    this.scratch = new float[dimension];
    Arrays.fill(slots, -1L);
  }

  int capacity() {
    return capacity;
  }

  int size() {
    return size;
  }

  long slotAt(int index) {
    return slots[index];
  }

  long orderAt(int index) {
    return orders[index];
  }

  float nearestAt(int index) {
    return nearest[index];
  }

  /** A copy of the embedding at {@code index}. */
  float[] embeddingAt(int index) {
    return Arrays.copyOfRange(flat, index * dimension, (index + 1) * dimension);
  }

  /**
   * Fills {@code out[i] = ⟨x, e_i⟩} for every occupied position (−∞ for empty ones) and returns the
   * largest, or −∞ for an empty window.
   */
  float similarities(float[] x, float[] out) {
    float best = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < capacity; i++) {
      if (slots[i] < 0) {
        out[i] = Float.NEGATIVE_INFINITY;
        continue;
      }
      float s = NearestSearch.dot(x, flat, i * dimension, dimension);
      out[i] = s;
      if (s > best) {
        best = s;
      }
    }
    return best;
  }

  /**
   * Where an example for {@code slot} goes: the entry already naming that slot (its example is
   * being overwritten), else a free position, else the oldest entry.
   */
  int positionFor(long slot) {
    int free = -1;
    int oldest = -1;
    for (int i = 0; i < capacity; i++) {
      if (slots[i] == slot) {
        return i;
      }
      if (slots[i] < 0) {
        if (free < 0) {
          free = i;
        }
      } else if (oldest < 0 || orders[i] < orders[oldest]) {
        oldest = i;
      }
    }
    return free >= 0 ? free : oldest;
  }

  /**
   * The most redundant entry: the largest nearest-neighbour similarity, ties to the oldest; −1 with
   * fewer than two entries (a lone entry has no neighbour) or without {@code trackNearest}.
   */
  int mostRedundant() {
    if (!trackNearest || size < 2) {
      return -1;
    }
    int best = -1;
    for (int i = 0; i < capacity; i++) {
      if (slots[i] < 0) {
        continue;
      }
      if (best < 0
          || nearest[i] > nearest[best]
          || (nearest[i] == nearest[best] && orders[i] < orders[best])) {
        best = i;
      }
    }
    return best;
  }

  /**
   * Puts {@code x} at {@code position}, replacing what was there.
   *
   * @param sims {@code ⟨x, e_i⟩} from {@link #similarities}, taken before this call
   */
  void put(int position, long slot, long order, float[] x, float[] sims) {
    boolean replacing = slots[position] >= 0;
    System.arraycopy(x, 0, flat, position * dimension, dimension);
    slots[position] = slot;
    orders[position] = order;
    if (!replacing) {
      size++;
    }
    if (!trackNearest) {
      return;
    }
    float best = Float.NEGATIVE_INFINITY;
    int bestIndex = -1;
    for (int i = 0; i < capacity; i++) {
      if (i == position || slots[i] < 0) {
        continue;
      }
      if (replacing && nearestIndex[i] == position) {
        // its neighbour left: look again over everything, the newcomer included
        recompute(i);
      } else if (sims[i] > nearest[i]) {
        nearest[i] = sims[i];
        nearestIndex[i] = position;
      }
      if (sims[i] > best) {
        best = sims[i];
        bestIndex = i;
      }
    }
    nearest[position] = best;
    nearestIndex[position] = bestIndex;
  }

  /** Loads an entry as stored; call {@link #rebuildNearest} after the last one. */
  void load(int position, long slot, long order, float[] x) {
    if (slots[position] < 0) {
      size++;
    }
    System.arraycopy(x, 0, flat, position * dimension, dimension);
    slots[position] = slot;
    orders[position] = order;
  }

  /** Recomputes every nearest-neighbour figure: {@code O(R²·d)}, once per load. */
  void rebuildNearest() {
    if (!trackNearest) {
      return;
    }
    for (int i = 0; i < capacity; i++) {
      if (slots[i] >= 0) {
        recompute(i);
      }
    }
  }

  private void recompute(int i) {
    float best = Float.NEGATIVE_INFINITY;
    int bestIndex = -1;
    System.arraycopy(flat, i * dimension, scratch, 0, dimension);
    for (int j = 0; j < capacity; j++) {
      if (j == i || slots[j] < 0) {
        continue;
      }
      float s = NearestSearch.dot(scratch, flat, j * dimension, dimension);
      if (s > best) {
        best = s;
        bestIndex = j;
      }
    }
    nearest[i] = best;
    nearestIndex[i] = bestIndex;
  }
}
