package io.sieve.embed;

import io.sieve.config.SieveConfig;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * Feature-hashing text embedder: deterministic, stateless and free of any vocabulary or model.
 *
 * <p>Text is lower-cased ({@link Locale#ROOT}) and split into tokens, the maximal runs of Unicode
 * letters and digits. The features of a text are its word unigrams, its word bigrams and the
 * character 3-grams of every token padded as {@code ^token$}. Each feature {@code f} of kind {@code
 * s} (the kind selects the seed, so a 3-letter token and its own middle 3-gram are distinct
 * features) lands in bucket and sign
 *
 * <pre>
 *   j(f) = murmur3_32(utf8(f), seed_s) mod D
 *   σ(f) = +1 if the top bit of fmix32(murmur3_32(…) ⊕ salt) is 0, else −1
 * </pre>
 *
 * and the embedding is {@code v = u / ‖u‖₂} with {@code u_j = Σ_{f : j(f)=j} σ(f)·tf(f)}. The sign
 * makes colliding features cancel in expectation, so {@code E[⟨u(a), u(b)⟩]} equals the dot product
 * of the exact (unhashed) count vectors; the variance of that estimate falls as {@code 1/D}.
 *
 * <p>If every signed bucket cancels to zero (possible only when {@code D} is tiny), the unsigned
 * counts are used instead so that any text with features still has a direction.
 *
 * <p>Instances are immutable and thread-safe; {@link #embed} allocates only the lower-cased copy,
 * small scratch arrays and the result.
 */
public final class HashingEmbedder implements Embedder {

  /**
   * Near-duplicate ε calibrated for this embedder: a re-crawl copy of a WordNet gloss (one word
   * dropped, on half of them a boilerplate phrase added) has a median cosine of 0.91 to its
   * original here, so {@code 1 − ε} catches about half of such copies (measured by {@code
   * NearCalibration} in the eval module).
   */
  public static final double NEAR_EPSILON = 0.10;

  private static final int UNIGRAM_SEED = 0x9e3779b9;
  private static final int BIGRAM_SEED = 0x85ebca6b;
  private static final int TRIGRAM_SEED = 0xc2b2ae35;
  private static final int SIGN_SALT = 0x27d4eb2f;
  private static final int BOUNDARY_START = '^';
  private static final int BOUNDARY_END = '$';
  private static final byte BIGRAM_SEPARATOR = ' ';

  private final int dimension;

  public HashingEmbedder(int dimension) {
    if (dimension < 1) {
      throw new IllegalArgumentException("dimension must be positive: " + dimension);
    }
    this.dimension = dimension;
  }

  @Override
  public String name() {
    return SieveConfig.EMBEDDER_HASHING;
  }

  @Override
  public int dimension() {
    return dimension;
  }

  /**
   * Embeds {@code text} as a unit vector of length {@link #dimension()}.
   *
   * @throws IllegalArgumentException if the text contains no letter or digit
   */
  @Override
  public float[] embed(String text) {
    String lower = Objects.requireNonNull(text, "text").toLowerCase(Locale.ROOT);
    int[] bounds = tokenize(lower);
    int tokens = bounds[0];
    if (tokens == 0) {
      throw new IllegalArgumentException("text has no features to embed");
    }
    float[] v = new float[dimension];
    Scratch scratch = new Scratch();
    accumulate(lower, bounds, tokens, v, true, scratch);
    double norm = norm(v);
    if (norm == 0.0) {
      accumulate(lower, bounds, tokens, v, false, scratch);
      norm = norm(v);
    }
    float inv = (float) (1.0 / norm);
    for (int j = 0; j < v.length; j++) {
      v[j] *= inv;
    }
    return v;
  }

  /** Returns {@code [count, start0, end0, start1, end1, …]} as char offsets into {@code s}. */
  private static int[] tokenize(String s) {
    int[] bounds = new int[17];
    int count = 0;
    int n = s.length();
    int i = 0;
    while (i < n) {
      int cp = s.codePointAt(i);
      if (!Character.isLetterOrDigit(cp)) {
        i += Character.charCount(cp);
        continue;
      }
      int start = i;
      do {
        i += Character.charCount(cp);
      } while (i < n && Character.isLetterOrDigit(cp = s.codePointAt(i)));
      if (2 * count + 3 > bounds.length) {
        bounds = Arrays.copyOf(bounds, 2 * bounds.length + 1);
      }
      bounds[2 * count + 1] = start;
      bounds[2 * count + 2] = i;
      count++;
    }
    bounds[0] = count;
    return bounds;
  }

  private void accumulate(
      String s, int[] bounds, int tokens, float[] v, boolean signed, Scratch scratch) {
    Arrays.fill(v, 0f);
    for (int t = 0; t < tokens; t++) {
      int start = bounds[2 * t + 1];
      int end = bounds[2 * t + 2];

      int len = scratch.putChars(s, start, end, 0);
      add(v, Murmur3.hash32(scratch.bytes, 0, len, UNIGRAM_SEED), signed);

      if (t > 0) {
        int prevStart = bounds[2 * t - 1];
        int prevEnd = bounds[2 * t];
        int pos = scratch.putChars(s, prevStart, prevEnd, 0);
        scratch.ensure(pos + 1 + 3 * (end - start));
        scratch.bytes[pos++] = BIGRAM_SEPARATOR;
        pos = scratch.putChars(s, start, end, pos);
        add(v, Murmur3.hash32(scratch.bytes, 0, pos, BIGRAM_SEED), signed);
      }

      int cps = scratch.paddedCodePoints(s, start, end);
      int[] cp = scratch.codePoints;
      for (int w = 0; w + 3 <= cps; w++) {
        scratch.ensure(12);
        int p = Utf8.put(scratch.bytes, 0, cp[w]);
        p = Utf8.put(scratch.bytes, p, cp[w + 1]);
        p = Utf8.put(scratch.bytes, p, cp[w + 2]);
        add(v, Murmur3.hash32(scratch.bytes, 0, p, TRIGRAM_SEED), signed);
      }
    }
  }

  private void add(float[] v, int hash, boolean signed) {
    int j = Integer.remainderUnsigned(hash, dimension);
    // the sign comes from a re-mixed hash so that it is independent of the bucket bits
    v[j] += signed && Murmur3.fmix32(hash ^ SIGN_SALT) < 0 ? -1f : 1f;
  }

  private static double norm(float[] v) {
    double sq = 0;
    for (float x : v) {
      sq += (double) x * x;
    }
    return Math.sqrt(sq);
  }

  /** Per-call buffers, grown on demand, so feature strings are never materialised. */
  private static final class Scratch {
    byte[] bytes = new byte[64];
    int[] codePoints = new int[32];

    void ensure(int capacity) {
      if (bytes.length < capacity) {
        bytes = Arrays.copyOf(bytes, Math.max(capacity, 2 * bytes.length));
      }
    }

    /** Writes the UTF-8 of {@code s[start, end)} at {@code pos}; returns the new position. */
    int putChars(String s, int start, int end, int pos) {
      // at most 3 UTF-8 bytes per UTF-16 char: a surrogate pair is 2 chars and 4 bytes
      ensure(pos + 3 * (end - start));
      int i = start;
      while (i < end) {
        int cp = s.codePointAt(i);
        pos = Utf8.put(bytes, pos, cp);
        i += Character.charCount(cp);
      }
      return pos;
    }

    /** Fills {@link #codePoints} with {@code ^ token $}; returns how many were written. */
    int paddedCodePoints(String s, int start, int end) {
      if (codePoints.length < end - start + 2) {
        codePoints = new int[Math.max(end - start + 2, 2 * codePoints.length)];
      }
      int n = 0;
      codePoints[n++] = BOUNDARY_START;
      int i = start;
      while (i < end) {
        int cp = s.codePointAt(i);
        codePoints[n++] = cp;
        i += Character.charCount(cp);
      }
      codePoints[n++] = BOUNDARY_END;
      return n;
    }
  }

  private static final class Utf8 {
    private Utf8() {}

    static int put(byte[] b, int pos, int cp) {
      if (cp < 0x80) {
        b[pos++] = (byte) cp;
      } else if (cp < 0x800) {
        b[pos++] = (byte) (0xc0 | cp >>> 6);
        b[pos++] = (byte) (0x80 | cp & 0x3f);
      } else if (cp < 0x10000) {
        b[pos++] = (byte) (0xe0 | cp >>> 12);
        b[pos++] = (byte) (0x80 | cp >>> 6 & 0x3f);
        b[pos++] = (byte) (0x80 | cp & 0x3f);
      } else {
        b[pos++] = (byte) (0xf0 | cp >>> 18);
        b[pos++] = (byte) (0x80 | cp >>> 12 & 0x3f);
        b[pos++] = (byte) (0x80 | cp >>> 6 & 0x3f);
        b[pos++] = (byte) (0x80 | cp & 0x3f);
      }
      return pos;
    }
  }
}
