package io.sieve.policy;

/**
 * A seeded pseudo-random permutation of {@code [0, n)} computed pointwise in O(1) memory, so an
 * ordering of a huge index range can be walked lazily and replayed from the seed alone.
 *
 * <p>Let {@code b} be the smallest integer with {@code 2^{2b} ≥ n} (at least 1). An index {@code x
 * < 2^{2b}} is split into halves {@code (L, R)} of {@code b} bits each and passed through four
 * balanced Feistel rounds
 *
 * <pre>
 *   (L, R) ← (R, L ⊕ F(R, k_r)),   F(R, k) = fmix64(R ⊕ k) mod 2^b,   r = 0..3
 * </pre>
 *
 * with round keys {@code k_r} drawn from a SplitMix64 stream seeded by {@code seed}. Each round is
 * invertible whatever {@code F} is, so the network is a bijection of {@code [0, 2^{2b})}; four
 * rounds make it indistinguishable from a random permutation for pseudo-random {@code F}
 * (Luby–Rackoff). Cycle-walking restricts it to {@code [0, n)}: the network is re-applied while the
 * value is {@code ≥ n}, which stays a bijection and, because {@code 2^{2b} < 4n}, takes fewer than
 * four applications in expectation.
 */
public final class FeistelPermutation {

  private static final int ROUNDS = 4;

  private final long n;
  private final int halfBits;
  private final long halfMask;
  private final long[] keys = new long[ROUNDS];

  /**
   * @param n the size of the permuted range, {@code ≥ 0}; with {@code n = 0} there is nothing to
   *     permute and every {@link #apply} call throws
   */
  public FeistelPermutation(long seed, long n) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be non-negative: " + n);
    }
    this.n = n;
    int bits = n <= 1 ? 0 : 64 - Long.numberOfLeadingZeros(n - 1);
    this.halfBits = Math.max(1, (bits + 1) / 2);
    this.halfMask = (1L << halfBits) - 1;
    long state = seed;
    for (int r = 0; r < ROUNDS; r++) {
      state += 0x9e3779b97f4a7c15L;
      keys[r] = Seeds.fmix64(state);
    }
  }

  public long size() {
    return n;
  }

  /** The image of {@code i}, for {@code 0 ≤ i < n}. */
  public long apply(long i) {
    if (i < 0 || i >= n) {
      throw new IndexOutOfBoundsException("index " + i + " outside [0, " + n + ")");
    }
    long x = i;
    do {
      x = encrypt(x);
      // with 2b = 64 the domain is all 64-bit patterns, so compare as unsigned
    } while (Long.compareUnsigned(x, n) >= 0);
    return x;
  }

  private long encrypt(long x) {
    long left = (x >>> halfBits) & halfMask;
    long right = x & halfMask;
    for (int r = 0; r < ROUNDS; r++) {
      long next = left ^ (Seeds.fmix64(right ^ keys[r]) & halfMask);
      left = right;
      right = next;
    }
    return (left << halfBits) | right;
  }
}
