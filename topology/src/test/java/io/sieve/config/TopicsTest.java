package io.sieve.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.registry.InMemorySchemaRegistry;
import io.sieve.serde.AvroSerdes;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicsTest {

  private static Topics topics(Map<String, Object> extra) {
    Map<String, Object> props = new HashMap<>();
    props.put(SieveConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(SieveConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://unused");
    props.putAll(extra);
    return Topics.from(new SieveConfig(props), new AvroSerdes(new InMemorySchemaRegistry()));
  }

  @Test
  void shouldCreateTheManifestsTopicDeletingByItsRetentionAndSizedLikeABatchTopic() {
    // Given a manifests topic of its own name, kept 90 days
    Topics topics =
        topics(
            Map.of(
                SieveConfig.TOPIC_MANIFESTS_CONFIG,
                "m.manifests",
                SieveConfig.MANIFESTS_RETENTION_CONFIG,
                7_776_000_000L));

    // When the required topics are listed for 4 partitions and records of up to 2 MB
    Topics.Spec spec =
        topics.required(4, 2_000_000).stream()
            .filter(s -> s.name().equals("m.manifests"))
            .findFirst()
            .orElseThrow();

    // Then it has the partitions, deletes (not compacts: it is keyed by trainer) after 90 days
    // and takes records as large as a batch
    assertThat(spec.partitions()).isEqualTo(4);
    assertThat(spec.configs())
        .containsEntry("cleanup.policy", "delete")
        .containsEntry("retention.ms", "7776000000")
        .containsEntry("max.message.bytes", "2000000");
    // and without a record limit the broker's default stays
    assertThat(
            topics.required(4).stream()
                .filter(s -> s.name().equals("m.manifests"))
                .findFirst()
                .orElseThrow()
                .configs())
        .doesNotContainKey("max.message.bytes");
  }

  @Test
  void shouldKeepManifestsForeverWhenRetentionIsMinusOne() {
    Topics topics = topics(Map.of(SieveConfig.MANIFESTS_RETENTION_CONFIG, -1L));
    assertThat(topics.manifests().name()).isEqualTo(SieveConfig.TOPIC_MANIFESTS_DEFAULT);
    assertThat(
            topics.required(1).stream()
                .filter(s -> s.name().equals(SieveConfig.TOPIC_MANIFESTS_DEFAULT))
                .findFirst()
                .orElseThrow()
                .configs())
        .containsEntry("retention.ms", "-1");
  }
}
