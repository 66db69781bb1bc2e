package io.sieve.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.BatchExample;
import io.sieve.avro.TrainingBatch;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

class BulkFloatWriterTest {

  private static BatchExample example(String id, ByteBuffer packed) {
    return BatchExample.newBuilder()
        .setId(id)
        .setClusterId(1)
        .setText("t " + id)
        .setGroups(Map.of("g", "v"))
        .setPacked(packed)
        .build();
  }

  /** A batch as the planner holds it: embeddings packed, with awkward values among them. */
  private static TrainingBatch packedBatch() {
    Random rng = new Random(5);
    List<BatchExample> examples = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      float[] v = new float[i == 7 ? 0 : 33];
      for (int d = 0; d < v.length; d++) {
        v[d] = (float) rng.nextGaussian();
      }
      if (v.length > 4) {
        v[0] = -0f;
        v[1] = Float.NaN;
        v[2] = Float.MIN_VALUE;
        v[3] = Float.NEGATIVE_INFINITY;
      }
      examples.add(example("e" + i, Embeddings.pack(v)));
    }
    examples.add(BatchExample.newBuilder(example("none", null)).setPacked(null).build());
    return TrainingBatch.newBuilder()
        .setBatchId("b-1")
        .setTrainerId("t")
        .setSequence(1)
        .setRound(0)
        .setCycle(0)
        .setPolicy("uniform")
        .setPolicyStateVersion(0)
        .setSeed(9)
        .setModelVersion(1)
        .setExamples(examples)
        .setClusterCounts(Map.of("1", examples.size()))
        .setGroupCounts(Map.of())
        .setRequested(examples.size())
        .setComplete(true)
        .setPlannedAt(Instant.ofEpochMilli(1_700_000_000_000L))
        .setAssembledAt(Instant.ofEpochMilli(1_700_000_000_500L))
        .build();
  }

  private static byte[] write(SpecificDatumWriter<TrainingBatch> writer, TrainingBatch b)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    writer.write(b, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  @Test
  void shouldWriteTheBytesThePlainWriterWritesForAPublicBatch() throws IOException {
    // Given a batch in the form a trainer that wants array<float> receives (packed views)
    TrainingBatch out = Embeddings.forTrainer(packedBatch(), false);
    assertThat(out.getExamples().get(0).getEmbedding()).isInstanceOf(Embeddings.PackedFloats.class);
    SpecificData data = SpecificData.getForClass(TrainingBatch.class);

    // When it is written by the bulk writer and, boxed float by float, by the plain one
    byte[] bulk = write(new BulkFloatWriter<>(TrainingBatch.getClassSchema(), data), out);
    byte[] plain = write(new SpecificDatumWriter<>(TrainingBatch.getClassSchema(), data), out);

    // Then the bytes are the same
    assertThat(bulk).isEqualTo(plain);

    // and a standard reader reads every float back, bit for bit
    TrainingBatch read =
        new SpecificDatumReader<>(TrainingBatch.class)
            .read(null, DecoderFactory.get().binaryDecoder(bulk, null));
    TrainingBatch source = packedBatch();
    for (int i = 0; i < source.getExamples().size(); i++) {
      float[] want = Embeddings.of(source.getExamples().get(i));
      List<Float> got = read.getExamples().get(i).getEmbedding();
      if (want == null) {
        assertThat(got).isNull();
        continue;
      }
      assertThat(got).hasSize(want.length);
      for (int d = 0; d < want.length; d++) {
        assertThat(Float.floatToRawIntBits(got.get(d))).isEqualTo(Float.floatToRawIntBits(want[d]));
      }
    }
  }

  @Test
  void shouldReadAPackedViewLikeTheFloatsItHolds() {
    float[] v = {0.25f, -3f, 7.5e-9f};
    Embeddings.PackedFloats view = new Embeddings.PackedFloats(Embeddings.pack(v));

    assertThat(view).containsExactly(0.25f, -3f, 7.5e-9f);
    // reading leaves the bytes whole for the next reader
    assertThat(view.littleEndianBytes().remaining()).isEqualTo(12);
    assertThat(view.littleEndianBytes().remaining()).isEqualTo(12);
  }
}
