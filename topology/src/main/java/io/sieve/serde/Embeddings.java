package io.sieve.serde;

import io.sieve.avro.BatchExample;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.cluster.Vectors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import java.util.RandomAccess;

/**
 * The two forms of an example's embedding: packed (float32 little-endian bytes in {@code
 * BatchExample.packed}), which every internal topic and store carries because it costs one array
 * copy to read or write, and the boxed {@code array<float>} of {@code BatchExample.embedding},
 * which public batches carry unless the trainer asks for packed bytes. Every reader goes through
 * {@link #of}, which also reads the list form, so state written before the packed form stays
 * readable.
 */
public final class Embeddings {

  private Embeddings() {}

  /** The example's embedding: its packed bytes if set, else its float list; null when none. */
  public static float[] of(BatchExample e) {
    return of(e.getPacked(), e.getEmbedding());
  }

  /** The validated example's embedding, packed or as a list; null when none. */
  public static float[] of(TrainingExample e) {
    return of(e.getPacked(), e.getEmbedding());
  }

  private static float[] of(ByteBuffer packed, List<Float> list) {
    if (packed != null) {
      return Vectors.unpack(packed);
    }
    return list == null ? null : unbox(list);
  }

  /** Whether the example carries an embedding in either form. */
  public static boolean has(BatchExample e) {
    return e.getPacked() != null || e.getEmbedding() != null;
  }

  /** The embedding's dimension in either form; 0 when there is none. */
  public static int dimension(BatchExample e) {
    ByteBuffer packed = e.getPacked();
    if (packed != null) {
      return packed.remaining() / 4;
    }
    List<Float> list = e.getEmbedding();
    return list == null ? 0 : list.size();
  }

  /** {@code v} as packed bytes, for {@code BatchExample.packed}. */
  public static ByteBuffer pack(float[] v) {
    return ByteBuffer.wrap(Vectors.pack(v));
  }

  /** The values of a boxed list; a null element (which validation never lets in) reads as NaN. */
  public static float[] unbox(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      Float v = values.get(i);
      out[i] = v == null ? Float.NaN : v;
    }
    return out;
  }

  /**
   * A fixed-size list view of {@code v}: boxes one value at a time as the Avro writer reads it,
   * instead of a list of boxed floats held for the whole batch.
   */
  public static List<Float> view(float[] v) {
    return new FloatView(v);
  }

  /**
   * The batch with every example in the form its trainer receives ({@link #forTrainer(BatchExample,
   * boolean)}): the batch itself when nothing changes, else a copy sharing its other field values
   * (a builder copy would deep-copy every example only to replace it).
   */
  public static TrainingBatch forTrainer(TrainingBatch batch, boolean packed) {
    List<BatchExample> examples = new ArrayList<>(batch.getExamples().size());
    boolean same = true;
    for (BatchExample e : batch.getExamples()) {
      BatchExample t = forTrainer(e, packed);
      same &= t == e;
      examples.add(t);
    }
    if (same) {
      return batch;
    }
    TrainingBatch copy = new TrainingBatch();
    int fields = TrainingBatch.getClassSchema().getFields().size();
    for (int i = 0; i < fields; i++) {
      copy.put(i, batch.get(i));
    }
    copy.setExamples(examples);
    return copy;
  }

  /**
   * The example as a trainer receives it: the embedding packed when {@code packed}, else as a float
   * list, and never in both forms. A new record sharing the other fields, so the stored one is
   * untouched.
   */
  public static BatchExample forTrainer(BatchExample e, boolean packed) {
    if (!has(e)) {
      return e;
    }
    ByteBuffer bytes;
    List<Float> list;
    if (packed) {
      bytes = e.getPacked() != null ? e.getPacked() : pack(unbox(e.getEmbedding()));
      list = null;
    } else {
      if (e.getPacked() == null) {
        return e;
      }
      bytes = null;
      list = new PackedFloats(e.getPacked());
    }
    return new BatchExample(
        e.getId(),
        e.getClusterId(),
        e.getCycle(),
        e.getText(),
        list,
        e.getGroups(),
        e.getLabel(),
        e.getScore(),
        e.getWeight(),
        e.getEmbeddedBy(),
        bytes);
  }

  /**
   * A fixed-size list view of packed float32 little-endian bytes, as a trainer that wants {@code
   * array<float>} receives them: {@link BulkFloatWriter} writes its bytes as they are (the Avro
   * binary form of an array of floats is its count, the floats' little-endian bytes and a zero), so
   * a public batch's embeddings are neither unpacked nor boxed on their way out. Any other reader
   * boxes one value at a time.
   */
  public static final class PackedFloats extends AbstractList<Float> implements RandomAccess {
    private final ByteBuffer bytes;

    PackedFloats(ByteBuffer packed) {
      if ((packed.remaining() & 3) != 0) {
        throw new IllegalArgumentException(
            "vector byte length " + packed.remaining() + " is not a multiple of 4");
      }
      this.bytes = packed.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The floats as little-endian bytes, a view from position 0 over the array it wraps (so an
     * encoder copies them once); the caller must not write to it.
     */
    public ByteBuffer littleEndianBytes() {
      return bytes.duplicate();
    }

    @Override
    public Float get(int index) {
      return bytes.getFloat(4 * index);
    }

    @Override
    public int size() {
      return bytes.capacity() / 4;
    }
  }

  private static final class FloatView extends AbstractList<Float> implements RandomAccess {
    private final float[] values;

    FloatView(float[] values) {
      this.values = values;
    }

    @Override
    public Float get(int index) {
      return values[index];
    }

    @Override
    public int size() {
      return values.length;
    }
  }
}
