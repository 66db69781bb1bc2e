package io.sieve.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sieve.avro.TrainingExample;
import io.sieve.registry.InMemorySchemaRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

/** The private topics' format: self-contained Avro, no registry, the old format still read. */
class InternalSerdeTest {

  private static final String TOPIC = "sieve-app-by-content-repartition";

  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
  private final AvroSerdes serdes = new AvroSerdes(registry);

  private static TrainingExample example() {
    return TrainingExample.newBuilder()
        .setId("ex-1")
        .setText("hello world")
        .setEmbedding(List.of(0.6f, 0.8f))
        .setGroups(Map.of("lang", "en"))
        .setScore(0.25)
        .setEventTime(Instant.ofEpochMilli(1_700_000_000_123L))
        .build();
  }

  @Test
  void shouldRoundTripWithoutAnyRegistryCall() {
    Serde<TrainingExample> serde = serdes.internal(TrainingExample.class);

    byte[] bytes = serde.serializer().serialize(TOPIC, example());

    assertThat(serde.deserializer().deserialize(TOPIC, bytes)).isEqualTo(example());
    assertThat(registry.registrations()).isZero();
    assertThat(registry.subjects()).isEmpty();
  }

  @Test
  void shouldWriteAvroSingleObjectEncodingThatAnyAvroReaderDecodes() throws IOException {
    byte[] bytes = serdes.internal(TrainingExample.class).serializer().serialize(TOPIC, example());

    // the marker, then the schema's fingerprint, little-endian
    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
    long fingerprint = SchemaNormalization.parsingFingerprint64(TrainingExample.getClassSchema());
    for (int i = 0; i < 8; i++) {
      assertThat(bytes[2 + i]).isEqualTo((byte) (fingerprint >>> (8 * i)));
    }
    // and Avro's own decoder of that encoding reads it, given nothing but the schema
    BinaryMessageDecoder<GenericRecord> decoder =
        new BinaryMessageDecoder<>(GenericData.get(), TrainingExample.getClassSchema());
    GenericRecord decoded = decoder.decode(bytes, null);
    assertThat(decoded.get("id").toString()).isEqualTo("ex-1");
  }

  @Test
  void shouldReadTheRegistryWireFormatWrittenBeforeTheUpgrade() {
    // Given a changelog value written as it was before the topic went private
    byte[] old = serdes.serialize(TOPIC, example());
    assertThat(old[0]).isEqualTo(AvroSerdes.MAGIC_BYTE);

    // Then the private serde still reads it
    assertThat(serdes.internal(TrainingExample.class).deserializer().deserialize(TOPIC, old))
        .isEqualTo(example());
  }

  @Test
  void shouldRefuseARecordOfAnotherSchemaVersionNamingTheReset() {
    // Given a record in the same format but written with another schema
    Schema other =
        SchemaBuilder.record("TrainingExample")
            .namespace("io.sieve.avro")
            .fields()
            .requiredString("id")
            .endRecord();
    GenericRecord record = new GenericData.Record(other);
    record.put("id", "ex-1");
    byte[] bytes;
    try {
      ByteBuffer encoded =
          new BinaryMessageEncoder<GenericRecord>(GenericData.get(), other).encode(record);
      bytes = new byte[encoded.remaining()];
      encoded.get(bytes);
    } catch (IOException e) {
      throw new AssertionError(e);
    }

    // Then it is refused with a clear error, not misread
    assertThatThrownBy(
            () -> serdes.internal(TrainingExample.class).deserializer().deserialize(TOPIC, bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("another io.sieve.avro.TrainingExample schema")
        .hasMessageContaining("reset the application's state");
  }

  @Test
  void shouldRefuseBytesInNoKnownFormatAndTruncatedData() {
    Serde<TrainingExample> serde = serdes.internal(TrainingExample.class);
    assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, new byte[] {9, 9}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("in no format Sieve writes");

    byte[] bytes = serde.serializer().serialize(TOPIC, example());
    byte[] truncated = Arrays.copyOf(bytes, bytes.length - 3);
    assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, truncated))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("corrupt Avro data");
  }

  @Test
  void shouldMapNullToNullBothWays() {
    Serde<TrainingExample> serde = serdes.internal(TrainingExample.class);
    assertThat(serde.serializer().serialize(TOPIC, null)).isNull();
    assertThat(serde.deserializer().deserialize(TOPIC, null)).isNull();
  }
}
