package io.sieve.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.TrainingExample;
import io.sieve.serde.Embeddings;
import java.util.List;
import org.junit.jupiter.api.Test;

class ContentHashTest {

  @Test
  void shouldHashAnEmbeddingAlikePackedOrAsAList() {
    float[] x = {0.6f, -0.8f, 0f};
    TrainingExample listed =
        TrainingExample.newBuilder().setId("a").setEmbedding(List.of(0.6f, -0.8f, 0f)).build();
    TrainingExample packed =
        TrainingExample.newBuilder().setId("b").setPacked(Embeddings.pack(x)).build();
    TrainingExample other =
        TrainingExample.newBuilder()
            .setId("c")
            .setPacked(Embeddings.pack(new float[] {0.8f, -0.6f, 0f}))
            .build();

    assertThat(DedupProcessor.contentHash(packed)).isEqualTo(DedupProcessor.contentHash(listed));
    assertThat(DedupProcessor.contentHash(other)).isNotEqualTo(DedupProcessor.contentHash(packed));
  }
}
