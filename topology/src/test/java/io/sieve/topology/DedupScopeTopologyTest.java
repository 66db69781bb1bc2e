package io.sieve.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.ClusterStats;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Exact deduplication in either place {@code dedup.scope} puts it: behind a repartition by content
 * ({@code global}) or in the pool's task behind the one repartition by cluster ({@code cluster}).
 * Copies are dropped alike, whether they arrive before the first model (and wait for it) or after.
 */
class DedupScopeTopologyTest {

  private static final int DIMENSION = 16;

  @TempDir Path stateDir;

  private DriverHarness harness(String scope) {
    Map<String, Object> props = DriverHarness.props("sieve-dedup-" + scope, stateDir);
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, DIMENSION);
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 20);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 3);
    props.put(SieveConfig.DEDUP_NEAR_POLICY_CONFIG, "keep");
    props.put(SieveConfig.DEDUP_SCOPE_CONFIG, scope);
    return new DriverHarness(props);
  }

  private static TrainingExample text(String id, int axis, int i) {
    return TrainingExample.newBuilder()
        .setId(id)
        .setText("example " + i + " near axis " + axis)
        .setEmbedding(DriverHarness.nearAxis(axis, i, DIMENSION))
        .build();
  }

  /** An example with no text, so that its embedding is its content. */
  private static TrainingExample embeddingOnly(String id, float scale) {
    List<Float> x = new ArrayList<>(DriverHarness.nearAxis(7, 3, DIMENSION));
    x.replaceAll(v -> v * scale);
    return TrainingExample.newBuilder().setId(id).setEmbedding(x).build();
  }

  private static long pooled(DriverHarness harness) {
    KeyValueStore<Integer, ClusterStats> store =
        harness.driver().getKeyValueStore(Stores.CLUSTER_STATS);
    long sum = 0;
    try (KeyValueIterator<Integer, ClusterStats> it = store.all()) {
      while (it.hasNext()) {
        sum += it.next().value.getSize();
      }
    }
    return sum;
  }

  @ParameterizedTest
  @ValueSource(strings = {SieveConfig.DEDUP_SCOPE_GLOBAL, SieveConfig.DEDUP_SCOPE_CLUSTER})
  void shouldDropCopiesBeforeAndAfterTheFirstModel(String scope) {
    try (DriverHarness harness = harness(scope)) {
      TestInputTopic<String, TrainingExample> in = harness.input(harness.topics().examples());
      SieveMetrics metrics = harness.metrics();
      // Given 30 distinct texts around three axes, a copy of one under another id, and an
      // example without text whose embedding is sent twice (the second time scaled: the
      // normalised embedding is the content), all before any model exists
      for (int i = 0; i < 30; i++) {
        TrainingExample e = text("ex-" + i, (i % 3) * 5, i);
        in.pipeInput(e.getId(), e);
      }
      in.pipeInput("copy-a", text("copy-a", 0, 0));
      in.pipeInput("vec-1", embeddingOnly("vec-1", 1f));
      in.pipeInput("vec-2", embeddingOnly("vec-2", 2f));

      // When the model is made and the waiting examples are pooled
      harness.settle();

      // Then the copies are counted and never pooled
      assertThat(metrics.duplicates()).isEqualTo(2);
      assertThat(pooled(harness)).isEqualTo(31);

      // And a copy arriving once the model exists is dropped too, a new text is not
      in.pipeInput("copy-b", text("copy-b", 5, 1));
      in.pipeInput("new", text("new", 10, 99));
      harness.settle();
      assertThat(metrics.duplicates()).isEqualTo(3);
      assertThat(pooled(harness)).isEqualTo(32);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {SieveConfig.DEDUP_SCOPE_GLOBAL, SieveConfig.DEDUP_SCOPE_CLUSTER})
  void shouldPutTheDedupStoreWhereTheScopeSays(String scope) {
    try (DriverHarness harness = harness(scope)) {
      TopologyDescription description = harness.topology().describe();
      TopologyDescription.Subtopology withPool = subtopologyOf(description, "pool");
      TopologyDescription.Subtopology withDedup = subtopologyOf(description, "dedup");
      Set<String> repartitions =
          description.subtopologies().stream()
              .flatMap(s -> s.nodes().stream())
              .filter(n -> n instanceof TopologyDescription.Source)
              .flatMap(n -> ((TopologyDescription.Source) n).topicSet().stream())
              .filter(t -> t.endsWith("-repartition"))
              .collect(Collectors.toSet());
      if (SieveConfig.DEDUP_SCOPE_CLUSTER.equals(scope)) {
        // one repartition between the examples and the pool: dedup shares the pool's task
        assertThat(withDedup.id()).isEqualTo(withPool.id());
        assertThat(repartitions).noneMatch(t -> t.contains("by-content"));
        assertThat(subtopologyOf(description, "assign").id())
            .isEqualTo(subtopologyOf(description, "validate").id());
      } else {
        assertThat(withDedup.id()).isNotEqualTo(withPool.id());
        assertThat(repartitions).anyMatch(t -> t.contains("by-content"));
      }
    }
  }

  private static TopologyDescription.Subtopology subtopologyOf(
      TopologyDescription description, String node) {
    return description.subtopologies().stream()
        .filter(s -> s.nodes().stream().anyMatch(n -> n.name().equals(node)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no node " + node));
  }
}
