package io.sieve.cluster;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * Dense float vector helpers shared by the clustering code.
 *
 * <p>Dot products accumulate in four independent float lanes, {@code ⟨a,b⟩ = Σ_{r<4} Σ_{i≡r (mod
 * 4)} a_i b_i}, which breaks the add-latency dependency chain so the JIT can pipeline (and often
 * vectorise) the loop; the summation order is fixed, so results are deterministic. The wire format
 * of a vector is its components as consecutive little-endian IEEE-754 float32 values.
 */
public final class Vectors {

  private Vectors() {}

  /** {@code ⟨a, b⟩}; both must have the same length. */
  public static float dot(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("length mismatch: " + a.length + " vs " + b.length);
    }
    return dot(a, b, 0, a.length);
  }

  /**
   * {@code Σ_{i<dim} a_i · flat_{offset+i}}: the dot product of {@code a} with a row of a matrix.
   */
  public static float dot(float[] a, float[] flat, int offset, int dim) {
    if (dim > a.length) {
      throw new IllegalArgumentException("dim " + dim + " exceeds vector length " + a.length);
    }
    Objects.checkFromIndexSize(offset, dim, flat.length);
    float s0 = 0f;
    float s1 = 0f;
    float s2 = 0f;
    float s3 = 0f;
    int i = 0;
    int end = dim & ~3;
    for (; i < end; i += 4) {
      s0 += a[i] * flat[offset + i];
      s1 += a[i + 1] * flat[offset + i + 1];
      s2 += a[i + 2] * flat[offset + i + 2];
      s3 += a[i + 3] * flat[offset + i + 3];
    }
    for (; i < dim; i++) {
      s0 += a[i] * flat[offset + i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  /** Whether no component is NaN or infinite. */
  public static boolean allFinite(float[] v) {
    for (float x : v) {
      if (!Float.isFinite(x)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Scales {@code v} in place to unit Euclidean length and returns its original length {@code
   * ‖v‖₂}, computed in double precision. A zero vector has no direction, so it is left as is and 0
   * is returned.
   */
  public static double normalize(float[] v) {
    double sq = 0;
    for (float x : v) {
      sq += (double) x * x;
    }
    double norm = Math.sqrt(sq);
    if (norm > 0) {
      double inv = 1.0 / norm;
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (v[i] * inv);
      }
    }
    return norm;
  }

  /** {@code 4·v.length} bytes: the components as little-endian float32. */
  public static byte[] pack(float[] v) {
    byte[] out = new byte[4 * v.length];
    ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(v);
    return out;
  }

  /** Inverse of {@link #pack}; the length must be a multiple of 4. */
  public static float[] unpack(byte[] b) {
    return unpack(ByteBuffer.wrap(b));
  }

  /**
   * Decodes the remaining bytes of {@code b} (a multiple of 4) as little-endian float32. The
   * buffer's position, limit and byte order are left untouched, so callers can re-read it.
   */
  public static float[] unpack(ByteBuffer b) {
    int remaining = b.remaining();
    if ((remaining & 3) != 0) {
      throw new IllegalArgumentException(
          "vector byte length " + remaining + " is not a multiple of 4");
    }
    FloatBuffer floats = b.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] out = new float[remaining / 4];
    floats.get(out);
    return out;
  }
}
