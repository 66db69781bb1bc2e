package io.sieve.embed;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.config.SieveConfig;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EmbeddersTest {

  private static SieveConfig config(Map<String, Object> extra) {
    Map<String, Object> props = new HashMap<>();
    props.put(SieveConfig.BOOTSTRAP_SERVERS_CONFIG, "broker:9092");
    props.put(SieveConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://registry:8081");
    props.putAll(extra);
    return new SieveConfig(props);
  }

  @Test
  void shouldChooseHashingOfTheConfiguredDimensionByDefault() {
    // Given no embedder setting and a dimension of 64
    Embedder embedder = Embedders.fromConfig(config(Map.of("embedding.dimension", 64)));

    // Then it is the hashing embedder with that dimension
    assertThat(embedder).isInstanceOf(HashingEmbedder.class);
    assertThat(embedder.dimension()).isEqualTo(64);
    assertThat(embedder.embed("hello world")).hasSize(64);
  }

  @Test
  void shouldChooseTheSharedMiniLmModel() {
    // Given embedder=minilm
    Embedder embedder = Embedders.fromConfig(config(Map.of("embedder", "minilm")));

    // Then it is the one MiniLM instance of the JVM
    assertThat(embedder).isSameAs(MiniLmEmbedder.shared());
    assertThat(embedder.dimension()).isEqualTo(384);
  }
}
