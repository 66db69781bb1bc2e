package io.sieve.embed;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby's reference {@code MurmurHash3_x86_32}).
 *
 * <p>The input is consumed as little-endian 32-bit blocks {@code k}; each block is scrambled as
 * {@code k = rotl(k·c1, 15)·c2} with {@code c1 = 0xcc9e2d51}, {@code c2 = 0x1b873593} and folded
 * into the state by {@code h = rotl(h ⊕ k, 13)·5 + 0xe6546b64}. The 1–3 byte tail is scrambled the
 * same way without the state rotation, then {@code h ⊕= length} and the avalanche finaliser {@link
 * #fmix32} is applied. Strings are hashed over their UTF-8 bytes, so values agree with other
 * implementations of the reference algorithm.
 */
public final class Murmur3 {

  private static final int C1 = 0xcc9e2d51;
  private static final int C2 = 0x1b873593;

  private Murmur3() {}

  /** Hash of the UTF-8 encoding of {@code s}. */
  public static int hash32(String s, int seed) {
    byte[] utf8 = Objects.requireNonNull(s, "s").getBytes(StandardCharsets.UTF_8);
    return hash32(utf8, 0, utf8.length, seed);
  }

  /** Hash of {@code data[offset, offset + length)}. */
  public static int hash32(byte[] data, int offset, int length, int seed) {
    Objects.checkFromIndexSize(offset, length, data.length);
    int h = seed;
    int end = offset + (length & ~3);
    for (int i = offset; i < end; i += 4) {
      int k =
          (data[i] & 0xff)
              | (data[i + 1] & 0xff) << 8
              | (data[i + 2] & 0xff) << 16
              | (data[i + 3] & 0xff) << 24;
      h ^= mixK(k);
      h = Integer.rotateLeft(h, 13) * 5 + 0xe6546b64;
    }
    int tail = length & 3;
    if (tail != 0) {
      int k = data[end] & 0xff;
      if (tail > 1) {
        k |= (data[end + 1] & 0xff) << 8;
      }
      if (tail > 2) {
        k |= (data[end + 2] & 0xff) << 16;
      }
      h ^= mixK(k);
    }
    return fmix32(h ^ length);
  }

  /**
   * The murmur3 avalanche finaliser: {@code h ⊕= h>>>16; h·=0x85ebca6b; h ⊕= h>>>13; h·=0xc2b2ae35;
   * h ⊕= h>>>16}. A bijection on 32-bit integers in which every input bit affects every output bit
   * with probability close to ½.
   */
  public static int fmix32(int h) {
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }

  private static int mixK(int k) {
    return Integer.rotateLeft(k * C1, 15) * C2;
  }
}
