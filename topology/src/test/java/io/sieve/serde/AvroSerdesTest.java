package io.sieve.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sieve.avro.BatchExample;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.registry.InMemorySchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class AvroSerdesTest {

  private static final String TOPIC = "sieve.examples";

  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
  private final AvroSerdes serdes = new AvroSerdes(registry);

  private static TrainingExample example() {
    return TrainingExample.newBuilder()
        .setId("ex-1")
        .setText("hello world")
        .setEmbedding(List.of(0.6f, 0.8f))
        .setGroups(Map.of("lang", "en", "source", "web"))
        .setLabel("greeting")
        .setScore(0.25)
        .setEventTime(Instant.ofEpochMilli(1_700_000_000_123L))
        .build();
  }

  private static TrainingBatch batch() {
    return TrainingBatch.newBuilder()
        .setBatchId("t1-7")
        .setTrainerId("t1")
        .setSequence(7)
        .setRound(3)
        .setCycle(1)
        .setPolicy("uniform")
        .setPolicyStateVersion(12)
        .setSeed(42)
        .setModelVersion(5)
        .setExamples(
            List.of(
                BatchExample.newBuilder()
                    .setId("ex-1")
                    .setClusterId(2)
                    .setText("hello")
                    .setEmbedding(List.of(1.0f, 0.0f))
                    .setGroups(Map.of("lang", "en"))
                    .build(),
                BatchExample.newBuilder().setId("ex-2").setClusterId(3).build()))
        .setClusterCounts(Map.of("2", 1, "3", 1))
        .setGroupCounts(Map.of("lang=en", 1))
        .setRequested(2)
        .setComplete(true)
        .setPlannedAt(Instant.ofEpochMilli(1_700_000_000_000L))
        .setAssembledAt(Instant.ofEpochMilli(1_700_000_000_500L))
        .build();
  }

  @Test
  void roundTripsTrainingExampleInTheWireFormat() {
    Serde<TrainingExample> serde = serdes.forClass(TrainingExample.class, false);
    TrainingExample example = example();

    byte[] bytes = serde.serializer().serialize(TOPIC, example);

    assertThat(bytes[0]).isEqualTo((byte) 0);
    int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
    assertThat(id).isEqualTo(registry.register(TOPIC + "-value", TrainingExample.getClassSchema()));
    assertThat(registry.hasSubject(TOPIC + "-value")).isTrue();
    assertThat(serde.deserializer().deserialize(TOPIC, bytes)).isEqualTo(example);
  }

  @Test
  void roundTripsTrainingBatchAsKeyAndValue() {
    TrainingBatch batch = batch();
    Serde<TrainingBatch> valueSerde = serdes.forClass(TrainingBatch.class, false);
    Serde<TrainingBatch> keySerde = serdes.forClass(TrainingBatch.class, true);

    byte[] value = valueSerde.serializer().serialize("sieve.batches.t1", batch);
    byte[] key = keySerde.serializer().serialize("sieve.batches.t1", batch);

    assertThat(valueSerde.deserializer().deserialize("sieve.batches.t1", value)).isEqualTo(batch);
    assertThat(keySerde.deserializer().deserialize("sieve.batches.t1", key)).isEqualTo(batch);
    assertThat(registry.hasSubject("sieve.batches.t1-value")).isTrue();
    assertThat(registry.hasSubject("sieve.batches.t1-key")).isTrue();
  }

  @Test
  void registersOncePerTopic() {
    Serde<TrainingExample> serde = serdes.forClass(TrainingExample.class, false);
    for (int i = 0; i < 5; i++) {
      serde.serializer().serialize(TOPIC, example());
    }
    assertThat(registry.registrations()).isEqualTo(1);
  }

  @Test
  void convenienceMethodsUseTheValueSubject() {
    byte[] bytes = serdes.serialize(TOPIC, example());
    assertThat(registry.hasSubject(TOPIC + "-value")).isTrue();
    assertThat(serdes.deserialize(TOPIC, bytes, TrainingExample.class)).isEqualTo(example());
    assertThat(serdes.serialize(TOPIC, (TrainingExample) null)).isNull();
    assertThat(serdes.deserialize(TOPIC, null, TrainingExample.class)).isNull();
  }

  @Test
  void nullMapsToNull() {
    Serde<TrainingExample> serde = serdes.forClass(TrainingExample.class, false);
    assertThat(serde.serializer().serialize(TOPIC, null)).isNull();
    assertThat(serde.deserializer().deserialize(TOPIC, null)).isNull();
    assertThat(serde.deserializer().deserialize(TOPIC, new byte[0])).isNull();
    assertThat(registry.registrations()).isZero();
  }

  @Test
  void readsDataWrittenWithAnOlderSchema() throws IOException {
    Schema older =
        schema(
            """
                {"type": "record", "name": "TrainingExample", "namespace": "io.sieve.avro",
                 "fields": [
                   {"name": "id", "type": "string"},
                   {"name": "text", "type": ["null", "string"], "default": null}
                 ]}
                """);
    int id = registry.register(TOPIC + "-value", older);
    GenericRecord record = new GenericData.Record(older);
    record.put("id", "old-1");
    record.put("text", "written long ago");

    TrainingExample read = readExample(wire(id, older, record));

    assertThat(read.getId()).isEqualTo("old-1");
    assertThat(read.getText()).isEqualTo("written long ago");
    assertThat(read.getEmbedding()).isNull();
    assertThat(read.getGroups()).isEmpty();
    assertThat(read.getLabel()).isNull();
    assertThat(read.getScore()).isNull();
    assertThat(read.getEventTime()).isNull();
  }

  @Test
  void readsDataWrittenWithANewerSchemaIgnoringUnknownFields() throws IOException {
    Schema newer =
        schema(
            """
                {"type": "record", "name": "TrainingExample", "namespace": "io.sieve.avro",
                 "fields": [
                   {"name": "id", "type": "string"},
                   {"name": "origin", "type": "string", "default": "unknown"},
                   {"name": "label", "type": ["null", "string"], "default": null}
                 ]}
                """);
    int id = registry.register(TOPIC + "-value", newer);
    GenericRecord record = new GenericData.Record(newer);
    record.put("id", "new-1");
    record.put("origin", "crawler");
    record.put("label", "spam");

    TrainingExample read = readExample(wire(id, newer, record));

    assertThat(read.getId()).isEqualTo("new-1");
    assertThat(read.getLabel()).isEqualTo("spam");
    assertThat(read.getText()).isNull();
  }

  @Test
  void rejectsAnIncompatibleWriterSchema() throws IOException {
    Schema other =
        schema(
            """
                {"type": "record", "name": "TrainingExample", "namespace": "io.sieve.avro",
                 "fields": [{"name": "id", "type": "int"}]}
                """);
    int id = registry.register("other-value", other);
    GenericRecord record = new GenericData.Record(other);
    record.put("id", 7);
    byte[] bytes = wire(id, other, record);

    assertThatThrownBy(() -> readExample(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("schema id " + id)
        .hasMessageContaining("cannot be read as io.sieve.avro.TrainingExample");
  }

  @Test
  void rejectsABadMagicByte() {
    byte[] bytes = serdes.serialize(TOPIC, example());
    bytes[0] = 1;
    assertThatThrownBy(() -> readExample(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("magic byte 0x01")
        .hasMessageContaining(TOPIC);
  }

  @Test
  void rejectsInputShorterThanTheHeader() {
    byte[] bytes = Arrays.copyOf(serdes.serialize(TOPIC, example()), 3);
    assertThatThrownBy(() -> readExample(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("too short")
        .hasMessageContaining("3 bytes");
  }

  @Test
  void rejectsATruncatedPayload() {
    byte[] full = serdes.serialize(TOPIC, example());
    byte[] bytes = Arrays.copyOf(full, full.length - 4);
    assertThatThrownBy(() -> readExample(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("corrupt Avro data");
  }

  @Test
  void rejectsTrailingBytes() {
    byte[] full = serdes.serialize(TOPIC, example());
    byte[] bytes = Arrays.copyOf(full, full.length + 2);
    assertThatThrownBy(() -> readExample(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("corrupt Avro data")
        .hasMessageContaining("left over");
  }

  @Test
  void rejectsCorruptAvro() {
    int id = registry.register(TOPIC + "-value", TrainingExample.getClassSchema());
    byte[] bytes = {
      0,
      (byte) (id >>> 24),
      (byte) (id >>> 16),
      (byte) (id >>> 8),
      (byte) id,
      (byte) 0xff,
      (byte) 0xff,
      (byte) 0xff,
      (byte) 0xff,
      (byte) 0x0f
    };
    assertThatThrownBy(() -> readExample(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("corrupt Avro data")
        .hasMessageContaining("schema id " + id);
  }

  @Test
  void rejectsAnUnknownSchemaId() {
    byte[] bytes = serdes.serialize(TOPIC, example());
    ByteBuffer.wrap(bytes).putInt(1, 999);
    assertThatThrownBy(() -> readExample(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("unknown schema id 999")
        .hasMessageContaining(TOPIC);
  }

  @Test
  void rejectsClassesThatAreNotGeneratedFromAvro() {
    assertThatThrownBy(() -> serdes.forClass(NotAvro.class, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(NotAvro.class.getName());
  }

  /** Reads {@code bytes} from {@link #TOPIC} as a training example, as the service would. */
  private TrainingExample readExample(byte[] bytes) {
    return serdes.forClass(TrainingExample.class, false).deserializer().deserialize(TOPIC, bytes);
  }

  private static Schema schema(String json) {
    return new Schema.Parser().parse(json);
  }

  private static byte[] wire(int id, Schema schema, GenericRecord record) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  /** Implements SpecificRecord without being generated from a schema. */
  static final class NotAvro implements org.apache.avro.specific.SpecificRecord {
    @Override
    public void put(int i, Object v) {}

    @Override
    public Object get(int i) {
      return null;
    }

    @Override
    public Schema getSchema() {
      return null;
    }
  }
}
