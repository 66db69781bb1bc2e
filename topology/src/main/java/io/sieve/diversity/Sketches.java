package io.sieve.diversity;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one projection every instance uses for diversity sketches, so that pool sketches and batch
 * scores made anywhere are comparable and can be merged; and the sketches' wire form.
 */
public final class Sketches {

  /** Dimension of the projected embeddings the sketches are built on. */
  public static final int DIMENSION = 32;

  private static final long SEED = 0x5EED_D1CEL;
  private static final Map<Integer, RandomProjection> PROJECTIONS = new ConcurrentHashMap<>();

  private Sketches() {}

  /** The shared projection from {@code from} dimensions. */
  public static RandomProjection projection(int from) {
    return PROJECTIONS.computeIfAbsent(from, d -> new RandomProjection(d, DIMENSION, SEED));
  }

  /** Projects a boxed embedding (as Avro gives it); null when there is none. */
  public static float[] project(List<Float> embedding) {
    if (embedding == null || embedding.isEmpty()) {
      return null;
    }
    float[] x = new float[embedding.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = embedding.get(i);
    }
    return projection(x.length).project(x);
  }

  /** Projects an embedding; null when there is none. */
  public static float[] project(float[] embedding) {
    if (embedding == null || embedding.length == 0) {
      return null;
    }
    return projection(embedding.length).project(embedding);
  }

  /** The moment's upper triangle as little-endian float64. */
  public static ByteBuffer pack(SecondMoment m) {
    double[] upper = m.upperTriangle();
    ByteBuffer b = ByteBuffer.allocate(upper.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (double v : upper) {
      b.putDouble(v);
    }
    b.flip();
    return b;
  }

  /** Reads a packed moment back. */
  public static SecondMoment unpack(ByteBuffer packed, long count) {
    ByteBuffer b = packed.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    double[] upper = new double[b.remaining() / 8];
    for (int i = 0; i < upper.length; i++) {
      upper[i] = b.getDouble();
    }
    return SecondMoment.of(DIMENSION, count, upper);
  }
}
