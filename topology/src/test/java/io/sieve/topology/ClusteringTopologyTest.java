package io.sieve.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.Centroid;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterStats;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Online clustering and near-duplicate pruning through the whole topology in a {@link
 * TopologyTestDriver}, with the default near-duplicate policy (drop).
 */
class ClusteringTopologyTest {

  private static final int DIMENSION = 16;

  @TempDir Path stateDir;

  private DriverHarness harness;
  private TopologyTestDriver driver;
  private SieveMetrics metrics;
  private TestInputTopic<String, TrainingExample> examples;
  private TestOutputTopic<String, CentroidModel> centroids;

  @BeforeEach
  void startDriver() {
    Map<String, Object> props = DriverHarness.props("sieve-clustering-test", stateDir);
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, DIMENSION);
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 24);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 3);
    props.put(SieveConfig.CLUSTER_SPAWN_DISTANCE_CONFIG, 0.5);
    harness = new DriverHarness(props);
    driver = harness.driver();
    metrics = harness.metrics();
    examples = harness.input(harness.topics().examples());
    centroids = harness.output(harness.topics().centroids());
  }

  @AfterEach
  void closeDriver() {
    harness.close();
  }

  /**
   * Example {@code i} of topic {@code t}: axis {@code 4t} plus seeded noise of about 0.3 in norm,
   * so examples of one topic are close (cosine ≈ 0.9) but no two are near duplicates.
   */
  private static List<Float> embedding(int t, int i) {
    Random rng = new Random(1000L * t + i);
    List<Float> e = new ArrayList<>(DIMENSION);
    for (int j = 0; j < DIMENSION; j++) {
      e.add((j == 4 * t ? 1f : 0f) + 0.08f * (float) rng.nextGaussian());
    }
    return e;
  }

  private void pipe(String id, List<Float> embedding) {
    examples.pipeInput(
        id,
        TrainingExample.newBuilder()
            .setId(id)
            .setText("example " + id)
            .setEmbedding(embedding)
            .build());
  }

  private void pipeTopic(int t, int from, int to) {
    for (int i = from; i < to; i++) {
      pipe("t" + t + "-" + i, embedding(t, i));
    }
  }

  private void settle() {
    harness.settle();
  }

  private Map<Integer, ClusterStats> clusterStats() {
    KeyValueStore<Integer, ClusterStats> store = driver.getKeyValueStore(Stores.CLUSTER_STATS);
    Map<Integer, ClusterStats> out = new TreeMap<>();
    try (KeyValueIterator<Integer, ClusterStats> it = store.all()) {
      it.forEachRemaining(kv -> out.put(kv.key, kv.value));
    }
    return out;
  }

  private static List<Integer> ids(CentroidModel model) {
    return model.getClusters().stream().map(Centroid::getId).sorted().toList();
  }

  @Test
  void shouldDropNearDuplicateWithinACluster() {
    // Given 24 distinct examples on three topics, clustered and pooled
    for (int t = 0; t < 3; t++) {
      pipeTopic(t, 0, 8);
    }
    settle();
    assertThat(metrics.pooledCount()).isEqualTo(24);

    // When an example arrives whose embedding is a copy of one pooled, nudged (cosine > 0.999)
    List<Float> copy = new ArrayList<>(embedding(1, 3));
    copy.set(2, copy.get(2) + 0.01f);
    pipe("near-copy", copy);
    settle();

    // Then it is counted as a near duplicate and not pooled
    assertThat(metrics.nearDuplicates()).isEqualTo(1);
    assertThat(metrics.duplicates()).as("not an exact duplicate").isZero();
    Map<Integer, ClusterStats> stats = clusterStats();
    assertThat(stats.values().stream().mapToLong(ClusterStats::getSize).sum()).isEqualTo(24);
    assertThat(stats.values().stream().mapToLong(ClusterStats::getNearDuplicates).sum())
        .isEqualTo(1);
  }

  @Test
  void shouldSpawnClusterWithFreshIdForFarPointAfterTheOwnersUpdate() {
    // Given a model of three clusters bootstrapped from three topics
    for (int t = 0; t < 3; t++) {
      pipeTopic(t, 0, 8);
    }
    settle();
    List<org.apache.kafka.streams.KeyValue<String, CentroidModel>> first =
        centroids.readKeyValuesToList();
    CentroidModel bootstrapped = first.get(0).value;
    assertThat(ids(bootstrapped)).containsExactly(0, 1, 2);
    assertThat(bootstrapped.getNextClusterId()).isEqualTo(3);

    // When examples of a fourth topic, far from every centre, arrive
    pipeTopic(3, 0, 4);
    settle();

    // Then the owner opens exactly one cluster for them, with the next id
    CentroidModel latest = null;
    for (var kv : centroids.readKeyValuesToList()) {
      latest = kv.value;
    }
    assertThat(latest).isNotNull();
    assertThat(ids(latest)).containsExactly(0, 1, 2, 3);
    assertThat(latest.getNextClusterId()).isEqualTo(4);

    // and later examples of that topic are pooled under the new cluster
    pipeTopic(3, 4, 10);
    settle();
    assertThat(clusterStats().get(3)).isNotNull();
    assertThat(clusterStats().get(3).getSize()).isEqualTo(6);
  }
}
