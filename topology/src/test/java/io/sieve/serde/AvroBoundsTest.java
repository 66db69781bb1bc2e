package io.sieve.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainingExample;
import io.sieve.registry.InMemorySchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroBoundsTest {

  private static final String TOPIC = "sieve.examples";

  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
  private final AvroSerdes serdes = new AvroSerdes(registry);

  /** The wire-format header and {@code body}, padded with zeros to {@code size} bytes. */
  private byte[] record(String topic, Schema schema, byte[] body, int size) {
    int id = registry.register(topic + "-value", schema);
    byte[] out = new byte[Math.max(size, AvroSerdes.HEADER_SIZE + body.length)];
    out[0] = AvroSerdes.MAGIC_BYTE;
    out[1] = (byte) (id >>> 24);
    out[2] = (byte) (id >>> 16);
    out[3] = (byte) (id >>> 8);
    out[4] = (byte) id;
    System.arraycopy(body, 0, out, AvroSerdes.HEADER_SIZE, body.length);
    return out;
  }

  private interface Body {
    void write(BinaryEncoder e) throws IOException;
  }

  private static byte[] body(Body body) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder e = EncoderFactory.get().directBinaryEncoder(out, null);
    body.write(e);
    e.flush();
    return out.toByteArray();
  }

  @Test
  void shouldRefuseA20ByteExampleClaimingTwoBillionFloats() throws IOException {
    // Given a 20-byte example whose embedding array claims two billion floats
    byte[] bytes =
        record(
            TOPIC,
            TrainingExample.getClassSchema(),
            body(
                e -> {
                  e.writeString("x");
                  e.writeIndex(0); // text: null
                  e.writeIndex(1); // embedding: an array
                  e.writeLong(2_000_000_000L);
                }),
            20);
    assertThat(bytes).hasSize(20);

    // Then it does not decode, and nothing the size of the claim was allocated
    assertThatThrownBy(() -> serdes.deserialize(TOPIC, bytes, TrainingExample.class))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("array claims 2000000000 items")
        .hasMessageContaining("bytes left");
  }

  @Test
  void shouldRefuseAnExampleWhoseGroupsMapClaimsTwoBillionEntries() throws IOException {
    // Given an example whose groups map claims two billion entries in a few bytes
    byte[] bytes =
        record(
            TOPIC,
            TrainingExample.getClassSchema(),
            body(
                e -> {
                  e.writeString("x");
                  e.writeIndex(0); // text: null
                  e.writeIndex(0); // embedding: null
                  e.writeLong(2_000_000_000L); // groups
                }),
            24);

    // Then it does not decode
    assertThatThrownBy(() -> serdes.deserialize(TOPIC, bytes, TrainingExample.class))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("map claims 2000000000 items");
  }

  @Test
  void shouldRefuseAStringLongerThanTheBytesLeft() throws IOException {
    // Given an example whose id claims a billion bytes
    byte[] bytes =
        record(TOPIC, TrainingExample.getClassSchema(), body(e -> e.writeLong(1_000_000_000L)), 20);

    // Then it does not decode
    assertThatThrownBy(() -> serdes.deserialize(TOPIC, bytes, TrainingExample.class))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("string claims 1000000000 bytes");
  }

  @Test
  void shouldRefuseFeedbackWhoseLossesMapClaimsAHundredMillionEntries() throws IOException {
    // Given feedback whose example losses claim 10^8 entries (at least 9 bytes each) in 30 bytes
    byte[] bytes =
        record(
            "sieve.feedback",
            TrainerFeedback.getClassSchema(),
            body(
                e -> {
                  e.writeString("t1");
                  e.writeString("t1-0");
                  e.writeLong(100_000_000L);
                }),
            30);

    // Then it does not decode
    assertThatThrownBy(() -> serdes.deserialize("sieve.feedback", bytes, TrainerFeedback.class))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("map claims 100000000 items of at least 9 bytes");
  }

  @Test
  void shouldRefuseMoreItemsThanTheConfiguredLimit() {
    // Given serdes limited to 2 items per collection
    AvroSerdes limited = new AvroSerdes(registry, 2);
    TrainingExample three = example(Map.of("a", "1", "b", "2", "c", "3"));
    TrainingExample two = example(Map.of("a", "1", "b", "2"));

    // Then a map of 3 entries does not decode, one of 2 does
    byte[] bytes = serdes.serialize(TOPIC, three);
    assertThatThrownBy(() -> limited.deserialize(TOPIC, bytes, TrainingExample.class))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("map claims 3 items, more than the limit of 2");
    assertThat(limited.deserialize(TOPIC, serdes.serialize(TOPIC, two), TrainingExample.class))
        .isEqualTo(two);
  }

  @Test
  void shouldFailEveryCorruptionWithASerializationExceptionOnly() {
    // Given a valid example and many corruptions of its bytes
    byte[] valid = serdes.serialize(TOPIC, example(Map.of("lang", "en", "source", "web")));
    SplittableRandom random = new SplittableRandom(7);
    int decoded = 0;
    int refused = 0;
    for (int i = 0; i < 5000; i++) {
      byte[] bytes = Arrays.copyOf(valid, valid.length);
      int flips = 1 + random.nextInt(4);
      for (int f = 0; f < flips; f++) {
        int at = AvroSerdes.HEADER_SIZE + random.nextInt(valid.length - AvroSerdes.HEADER_SIZE);
        bytes[at] = (byte) random.nextInt(256);
      }
      // When each is decoded, Then it decodes or fails with a SerializationException: nothing else
      try {
        serdes.deserialize(TOPIC, bytes, TrainingExample.class);
        decoded++;
      } catch (SerializationException e) {
        refused++;
      }
    }
    assertThat(decoded + refused).isEqualTo(5000);
    assertThat(refused).isPositive();
  }

  private static TrainingExample example(Map<String, String> groups) {
    return TrainingExample.newBuilder()
        .setId("ex-1")
        .setText("hello")
        .setEmbedding(List.of(0.6f, 0.8f))
        .setGroups(groups)
        .build();
  }
}
