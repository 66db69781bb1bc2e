package io.sieve.policy;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Stable 64-bit seed derivation, so every random choice can be replayed from (configured seed,
 * trainer, round, cluster) on any JVM.
 *
 * <p>{@link #mix} chains the SplitMix64 step over its parts: starting from {@code h = γ},
 *
 * <pre>
 *   h ← fmix64((h ⊕ p) + γ)   for each part p, in order
 *   fmix64(z): z = (z ⊕ z>>>30)·0xbf58476d1ce4e5b9; z = (z ⊕ z>>>27)·0x94d049bb133111eb; z ⊕ z>>>31
 * </pre>
 *
 * with {@code γ = 0x9e3779b97f4a7c15} (the golden-ratio increment of SplitMix64). Every step is a
 * bijection of {@code h} for a fixed part, so distinct prefixes stay distinct, and because each
 * part is folded into an already-mixed state the result depends on order. {@link #of} is FNV-1a 64
 * over the UTF-8 bytes followed by {@code fmix64}, which repairs FNV's weak high-bit avalanche.
 */
public final class Seeds {

  private static final long GAMMA = 0x9e3779b97f4a7c15L;
  private static final long FNV_OFFSET_BASIS = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private Seeds() {}

  /** An order-sensitive 64-bit mix of {@code parts}. */
  public static long mix(long... parts) {
    long h = GAMMA;
    for (long p : parts) {
      h = fmix64((h ^ p) + GAMMA);
    }
    return h;
  }

  /** A stable 64-bit hash of the UTF-8 encoding of {@code s}. */
  public static long of(String s) {
    byte[] utf8 = Objects.requireNonNull(s, "s").getBytes(StandardCharsets.UTF_8);
    long h = FNV_OFFSET_BASIS;
    for (byte b : utf8) {
      h ^= b & 0xff;
      h *= FNV_PRIME;
    }
    return fmix64(h);
  }

  /** The SplitMix64 output function (Stafford's variant 13), a bijection on 64-bit values. */
  static long fmix64(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
