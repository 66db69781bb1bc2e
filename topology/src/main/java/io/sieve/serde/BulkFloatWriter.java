package io.sieve.serde;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.Encoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * A {@link SpecificDatumWriter} that writes an {@code array<float>} held as {@link
 * Embeddings.PackedFloats} in one copy of its bytes rather than one boxed float at a time: to a
 * binary encoder an array of floats is its item count, each float's four little-endian bytes and a
 * closing zero, which is what the packed form already holds. The bytes are the ones the plain
 * writer produces ({@code BulkFloatWriterTest}); any other array, or another encoder, is written by
 * the plain writer.
 */
final class BulkFloatWriter<T> extends SpecificDatumWriter<T> {

  BulkFloatWriter(Schema schema, SpecificData data) {
    super(schema, data);
  }

  @Override
  protected void writeArray(Schema schema, Object datum, Encoder out) throws IOException {
    if (datum instanceof Embeddings.PackedFloats floats
        && out instanceof BinaryEncoder
        && schema.getElementType().getType() == Schema.Type.FLOAT) {
      int n = floats.size();
      out.writeArrayStart();
      out.setItemCount(n);
      if (n > 0) {
        ByteBuffer bytes = floats.littleEndianBytes();
        out.writeFixed(bytes);
      }
      out.writeArrayEnd();
      return;
    }
    super.writeArray(schema, datum, out);
  }
}
