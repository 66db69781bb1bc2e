package io.sieve.errors;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.DeadLetter;
import io.sieve.registry.InMemorySchemaRegistry;
import io.sieve.serde.AvroSerdes;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OriginalsTest {

  private final AvroSerdes serdes = new AvroSerdes(new InMemorySchemaRegistry());

  private static DeadLetter.Builder letter() {
    return DeadLetter.newBuilder()
        .setStage("deserialize")
        .setReason("undeserializable")
        .setFailedAt(Instant.ofEpochMilli(1));
  }

  private static byte[] random(int size) {
    byte[] b = new byte[size];
    SplittableRandom r = new SplittableRandom(3);
    for (int i = 0; i < size; i++) {
      b[i] = (byte) r.nextInt(256);
    }
    return b;
  }

  @Test
  void shouldCutAnOversizedValueKeepingItsSizeAndHash() throws Exception {
    // Given a 3 MiB original value and a 100 KiB key
    byte[] value = random(3 * 1024 * 1024);
    byte[] key = random(100 * 1024);

    // When both are attached to a dead letter
    DeadLetter letter = Originals.attach(letter(), key, value).build();

    // Then the letter holds their first bytes, their sizes and hashes, and fits 1 MiB
    assertThat(letter.getValue().remaining()).isEqualTo(Originals.MAX_VALUE_BYTES);
    assertThat(bytes(letter.getValue())).isEqualTo(Arrays.copyOf(value, Originals.MAX_VALUE_BYTES));
    assertThat(letter.getOriginalValueSize()).isEqualTo(value.length);
    assertThat(letter.getOriginalValueSha256())
        .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value)));
    assertThat(letter.getKey().remaining()).isEqualTo(Originals.MAX_KEY_BYTES);
    assertThat(letter.getOriginalKeySize()).isEqualTo(key.length);
    assertThat(serdes.serialize("sieve.dead-letters", letter).length).isLessThan(1024 * 1024);
  }

  @Test
  void shouldKeepASmallOriginalWholeWithoutSizeOrHash() {
    byte[] value = random(1000);

    DeadLetter letter = Originals.attach(letter(), null, value).build();

    assertThat(bytes(letter.getValue())).isEqualTo(value);
    assertThat(letter.getOriginalValueSize()).isNull();
    assertThat(letter.getOriginalValueSha256()).isNull();
    assertThat(letter.getKey()).isNull();
  }

  @Test
  void shouldDropTheOriginalsButKeepTheirIdentityWhenAsked() {
    byte[] value = random(5000);
    DeadLetter full = Originals.attach(letter(), null, value).build();

    DeadLetter bare = Originals.withoutOriginals(full, null, value);

    assertThat(bare.getValue()).isNull();
    assertThat(bare.getOriginalValueSize()).isEqualTo(5000L);
    assertThat(bare.getOriginalValueSha256()).isEqualTo(Originals.sha256(value));
    assertThat(bare.getReason()).isEqualTo("undeserializable");
  }

  @Test
  void shouldCutAnOverlongErrorSayingHowLongItWas() {
    String error = "x".repeat(Originals.MAX_ERROR_CHARS * 3);

    String cut = Originals.error(error);

    assertThat(cut).startsWith("x".repeat(Originals.MAX_ERROR_CHARS));
    assertThat(cut).endsWith("(" + error.length() + " characters)");
    assertThat(Originals.error("short")).isEqualTo("short");
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] b = new byte[buffer.remaining()];
    buffer.duplicate().get(b);
    return b;
  }
}
