package io.sieve.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sieve.avro.BatchExample;
import io.sieve.avro.DeadLetter;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.embed.MiniLmEmbedder;
import io.sieve.serde.Embeddings;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole topology with {@code embedder=minilm}, fed examples that bring only text. */
class MiniLmTopologyTest {

  private static final Map<String, List<String>> THEMES =
      Map.of(
          "music",
          List.of(
              "A man is playing a guitar on stage.",
              "The violinist tuned her instrument before the concert.",
              "The band released a new album of piano ballads.",
              "She sings in the church choir every Sunday."),
          "finance",
          List.of(
              "The stock market fell sharply today.",
              "Investors sold shares as interest rates rose.",
              "The central bank raised its lending rate.",
              "Bond yields climbed after the inflation report."),
          "cooking",
          List.of(
              "Knead the dough and let it rise for an hour.",
              "Whisk the eggs with sugar until pale.",
              "Bake the bread in a hot oven for forty minutes.",
              "Simmer the tomato sauce with garlic and basil."));

  @TempDir Path stateDir;

  private DriverHarness harness;
  private TopologyTestDriver driver;
  private SieveMetrics metrics;
  private TestInputTopic<String, TrainingExample> examples;
  private TestOutputTopic<Bytes, DeadLetter> deadLetters;

  @BeforeEach
  void startDriver() {
    Map<String, Object> props = DriverHarness.props("sieve-minilm-test", stateDir);
    props.put(SieveConfig.EMBEDDER_CONFIG, SieveConfig.EMBEDDER_MINILM);
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 12);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 3);
    harness = new DriverHarness(props);
    driver = harness.driver();
    metrics = harness.metrics();
    examples = harness.input(harness.topics().examples());
    deadLetters = harness.output(harness.topics().deadLetters());
  }

  @AfterEach
  void closeDriver() {
    harness.close();
  }

  @Test
  void shouldPoolTextOnlyExamplesWithTheModelsEmbeddings() {
    // Given twelve examples on three themes, each with text and no embedding
    Map<String, String> themeOf = new HashMap<>();
    Map<String, String> textOf = new HashMap<>();
    THEMES.forEach(
        (theme, texts) -> {
          for (int i = 0; i < texts.size(); i++) {
            String id = theme + "-" + i;
            themeOf.put(id, theme);
            textOf.put(id, texts.get(i));
          }
        });
    for (String id : new TreeMap<>(textOf).keySet()) {
      examples.pipeInput(
          id,
          TrainingExample.newBuilder()
              .setId(id)
              .setText(textOf.get(id))
              .setGroups(Map.of("theme", themeOf.get(id)))
              .build());
    }

    // When the punctuations bootstrap the model and the examples are assigned
    harness.settle();

    // Then none was dead-lettered and every one reached the pool
    assertThat(deadLetters.isEmpty()).isTrue();
    assertThat(metrics.pooledCount()).isEqualTo(12);
    Map<String, BatchExample> pooled = new HashMap<>();
    KeyValueStore<Bytes, BatchExample> pool = driver.getKeyValueStore(Stores.POOL);
    try (KeyValueIterator<Bytes, BatchExample> it = pool.all()) {
      it.forEachRemaining(kv -> pooled.put(kv.value.getId(), kv.value));
    }
    assertThat(pooled.keySet()).isEqualTo(textOf.keySet());

    // with the model's own unit vector for its text
    MiniLmEmbedder model = MiniLmEmbedder.shared();
    pooled.forEach(
        (id, example) -> {
          // the pool holds it packed
          float[] v = Embeddings.of(example);
          assertThat(v).hasSize(384);
          float[] expected = model.embed(textOf.get(id));
          double cos = 0;
          for (int i = 0; i < expected.length; i++) {
            cos += expected[i] * v[i];
          }
          assertThat(cos).as(id).isCloseTo(1.0, within(1e-5));
        });
  }
}
