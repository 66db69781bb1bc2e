package io.sieve.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.BatchExample;
import io.sieve.avro.TrainingExample;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EmbeddingsTest {

  private static final float[] X = {0.6f, -0.8f, 0f, 1.5e-7f, -0f};

  private static BatchExample.Builder example() {
    return BatchExample.newBuilder()
        .setId("a")
        .setClusterId(3)
        .setText("t")
        .setGroups(Map.of("g", "v"))
        .setLabel("l")
        .setScore(0.5)
        .setWeight(2.0)
        .setEmbeddedBy("hashing");
  }

  @Test
  void shouldRoundTripPackedBytesAsLittleEndianFloat32() {
    BatchExample e = example().setPacked(Embeddings.pack(X)).build();

    assertThat(Embeddings.of(e)).containsExactly(X);
    assertThat(Embeddings.dimension(e)).isEqualTo(X.length);
    assertThat(Embeddings.has(e)).isTrue();
    ByteBuffer b = e.getPacked().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    assertThat(b.remaining()).isEqualTo(4 * X.length);
    assertThat(b.getFloat(4)).isEqualTo(-0.8f);
    // reading does not consume the buffer
    assertThat(Embeddings.of(e)).containsExactly(X);
  }

  @Test
  void shouldStillReadTheListFormOfStateWrittenBeforePacking() {
    BatchExample e = example().setEmbedding(List.of(0.6f, -0.8f, 0f)).build();

    assertThat(Embeddings.of(e)).containsExactly(0.6f, -0.8f, 0f);
    assertThat(Embeddings.dimension(e)).isEqualTo(3);
  }

  @Test
  void shouldReadAValidatedExampleInEitherForm() {
    TrainingExample packed =
        TrainingExample.newBuilder().setId("a").setPacked(Embeddings.pack(X)).build();
    TrainingExample listed =
        TrainingExample.newBuilder().setId("a").setEmbedding(List.of(0.6f, -0.8f)).build();

    assertThat(Embeddings.of(packed)).containsExactly(X);
    assertThat(Embeddings.of(listed)).containsExactly(0.6f, -0.8f);
    assertThat(Embeddings.of(TrainingExample.newBuilder().setId("a").build())).isNull();
  }

  @Test
  void shouldReadNoEmbeddingAsNull() {
    BatchExample e = example().build();

    assertThat(Embeddings.of(e)).isNull();
    assertThat(Embeddings.has(e)).isFalse();
    assertThat(Embeddings.dimension(e)).isZero();
    assertThat(Embeddings.forTrainer(e, true)).isSameAs(e);
    assertThat(Embeddings.forTrainer(e, false)).isSameAs(e);
  }

  @Test
  void shouldGiveADefaultTrainerTheFloatListAndNoBytes() {
    BatchExample stored = example().setPacked(Embeddings.pack(X)).build();

    BatchExample out = Embeddings.forTrainer(stored, false);

    assertThat(out.getPacked()).isNull();
    assertThat(out.getEmbedding()).containsExactly(0.6f, -0.8f, 0f, 1.5e-7f, -0f);
    assertThat(out)
        .usingRecursiveComparison()
        .ignoringFields("embedding", "packed")
        .isEqualTo(stored);
    assertThat(stored.getPacked()).as("the stored record is untouched").isNotNull();
    // equal to the same record built with a plain list, as consumers compare them
    assertThat(out)
        .isEqualTo(example().setEmbedding(List.of(0.6f, -0.8f, 0f, 1.5e-7f, -0f)).build());
  }

  @Test
  void shouldGiveAPackedTrainerBytesFromEitherForm() {
    BatchExample fromList = example().setEmbedding(List.of(0.6f, -0.8f, 0f, 1.5e-7f, -0f)).build();
    BatchExample fromBytes = example().setPacked(Embeddings.pack(X)).build();

    for (BatchExample stored : List.of(fromList, fromBytes)) {
      BatchExample out = Embeddings.forTrainer(stored, true);
      assertThat(out.getEmbedding()).isNull();
      assertThat(Embeddings.of(out)).containsExactly(X);
    }
  }

  @Test
  void shouldSerializeTheListViewLikeAPlainList() {
    BatchExample viewed =
        Embeddings.forTrainer(example().setPacked(Embeddings.pack(X)).build(), false);
    BatchExample plain = example().setEmbedding(List.of(0.6f, -0.8f, 0f, 1.5e-7f, -0f)).build();

    // the registry-format reader is never reached: these records are written by this serde
    InternalSerde<BatchExample> serde = new InternalSerde<>(BatchExample.class, null);
    assertThat(serde.serialize("t", viewed)).isEqualTo(serde.serialize("t", plain));
    assertThat(serde.deserialize("t", serde.serialize("t", viewed)).getEmbedding())
        .containsExactly(0.6f, -0.8f, 0f, 1.5e-7f, -0f);
  }
}
