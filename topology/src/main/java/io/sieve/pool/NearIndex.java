package io.sieve.pool;

import io.sieve.cluster.SimHash;
import io.sieve.cluster.Vectors;
import java.util.Arrays;

/**
 * One cluster's near-duplicate index over <b>every</b> pooled example: a {@link SimHash} signature
 * per pool slot, in one flat array indexed by slot (a cluster's slots are {@code 0..size−1}).
 *
 * <p>A newcomer {@code x} is a near duplicate when some pooled {@code e} has {@code ⟨x, e⟩ ≥ 1 − ε}
 * (SemDeDup, Abbas et al. 2023). The scan compares signatures only (4 words per pooled example);
 * pooled examples whose Hamming distance is within {@link SimHash#candidateDistance} are then
 * checked exactly against their stored embedding, closest signature first, at most {@value
 * #MAX_VERIFIED} of them per newcomer, so the store reads per example stay bounded however dense
 * the cluster. A pair at exactly the threshold is missed about once in a thousand; any closer pair
 * almost never. Unlike a window of the last few hundred admissions, a copy of an item pooled long
 * ago is still caught.
 *
 * <p>Memory: {@value SimHash#BITS} bits per pooled example (32 bytes, about 2 % of a 384-float
 * embedding). The index is derived, never stored: the pool task rebuilds it from the pool store the
 * first time it needs a cluster after a start, so it costs no changelog write.
 *
 * <p>Not thread-safe; owned by one pool task.
 */
final class NearIndex {

  /** Exact checks per newcomer at most; the closest signatures go first. */
  static final int MAX_VERIFIED = 8;

  /** Reads the unit embedding pooled at a slot, or null if the slot is empty. */
  interface Embeddings {
    float[] at(long slot);
  }

  private long[] signatures;
  private int slots;

  NearIndex(int expected) {
    this.signatures = new long[Math.max(16, expected) * SimHash.WORDS];
  }

  /** Pooled slots indexed (one past the highest slot put). */
  int size() {
    return slots;
  }

  /** Records {@code signature} (its first {@link SimHash#WORDS} words) as the slot's. */
  void put(long slot, long[] signature) {
    int s = Math.toIntExact(slot);
    int needed = (s + 1) * SimHash.WORDS;
    if (needed > signatures.length) {
      signatures = Arrays.copyOf(signatures, Math.max(needed, signatures.length * 2));
    }
    System.arraycopy(signature, 0, signatures, s * SimHash.WORDS, SimHash.WORDS);
    slots = Math.max(slots, s + 1);
  }

  /**
   * The largest {@code ⟨x, e⟩} over the pooled examples checked exactly (those within {@code
   * maxDistance} of {@code signature}, closest first, at most {@value #MAX_VERIFIED}), stopping at
   * the first that reaches {@code threshold}; −∞ when none is checked.
   */
  float closest(
      float[] x, long[] signature, int maxDistance, float threshold, Embeddings embeddings) {
    long[] candidates = new long[MAX_VERIFIED];
    int found = 0;
    for (int s = 0; s < slots; s++) {
      int d = SimHash.distance(signature, 0, signatures, s * SimHash.WORDS);
      if (d > maxDistance) {
        continue;
      }
      long packed = ((long) d << 32) | s;
      if (found < MAX_VERIFIED) {
        candidates[found++] = packed;
      } else {
        // keep the MAX_VERIFIED closest: replace the farthest kept if this one is closer
        int worst = 0;
        for (int i = 1; i < found; i++) {
          if (candidates[i] > candidates[worst]) {
            worst = i;
          }
        }
        if (packed < candidates[worst]) {
          candidates[worst] = packed;
        }
      }
    }
    Arrays.sort(candidates, 0, found);
    float best = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < found; i++) {
      float[] e = embeddings.at(candidates[i] & 0xffff_ffffL);
      if (e == null || e.length != x.length) {
        continue;
      }
      float sim = Vectors.dot(x, e);
      if (sim > best) {
        best = sim;
        if (best >= threshold) {
          break;
        }
      }
    }
    return best;
  }
}
