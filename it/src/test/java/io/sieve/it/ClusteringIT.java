package io.sieve.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.app.SieveService;
import io.sieve.avro.Centroid;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterStats;
import io.sieve.avro.TrainingExample;
import io.sieve.cluster.Vectors;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.serde.AvroSerdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Online clustering and near-duplicate pruning on a real broker (in-process KRaft on 127.0.0.1) and
 * a real schema registry (Apicurio, child process), across a restart on the same state directory.
 */
class ClusteringIT {

  private static final int DIMENSION = 32;

  @RegisterExtension static final PerClassStack STACK = new PerClassStack();
  static AvroSerdes serdes;

  @TempDir Path temp;

  @BeforeAll
  static void serdesOverTheStacksRegistry() {
    serdes = STACK.serdes();
  }

  private SieveConfig config(String name, Path stateDir) {
    Map<String, Object> props =
        ItConfigs.isolated(
            name, STACK.kafka().bootstrapServers(), STACK.registry().url(), stateDir);
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, DIMENSION);
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 30);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 3);
    props.put(SieveConfig.CLUSTER_SPAWN_DISTANCE_CONFIG, 0.5);
    props.put(SieveConfig.CLUSTER_UPDATE_INTERVAL_CONFIG, 300L);
    props.put("streams.commit.interval.ms", 100);
    return new SieveConfig(props);
  }

  /** Example {@code i} of topic {@code t}: axis {@code 7t} plus seeded noise (cosine ≈ 0.9). */
  private static List<Float> embedding(int t, int i) {
    Random rng = new Random(1000L * t + i);
    List<Float> e = new ArrayList<>(DIMENSION);
    for (int j = 0; j < DIMENSION; j++) {
      e.add((j == 7 * t ? 1f : 0f) + 0.06f * (float) rng.nextGaussian());
    }
    return e;
  }

  /** An example whose text is {@code "example " + textOf}, as {@link #produce} writes them. */
  private static TrainingExample example(String id, String textOf, List<Float> embedding) {
    return TrainingExample.newBuilder()
        .setId(id)
        .setText("example " + textOf)
        .setEmbedding(embedding)
        .build();
  }

  private static void produce(Topics topics, Map<String, List<Float>> byId) {
    Map<String, TrainingExample> examples = new TreeMap<>();
    byId.forEach((id, embedding) -> examples.put(id, example(id, id, embedding)));
    produceExamples(topics, examples);
  }

  private static void produceExamples(Topics topics, Map<String, TrainingExample> byId) {
    String topic = topics.examples().name();
    try (KafkaProducer<String, byte[]> producer =
        ItClients.producer(STACK.kafka().bootstrapServers())) {
      byId.forEach(
          (id, example) ->
              producer.send(new ProducerRecord<>(topic, id, serdes.serialize(topic, example))));
      producer.flush();
    }
  }

  private static Map<String, List<Float>> topic(int t, int from, int to) {
    Map<String, List<Float>> out = new TreeMap<>();
    for (int i = from; i < to; i++) {
      out.put("t" + t + "-" + i, embedding(t, i));
    }
    return out;
  }

  @Test
  void shouldKeepClusterIdsAndContinueTheIdCounterAcrossARestart() throws Exception {
    SieveConfig config = config("ids", temp.resolve("state"));
    CentroidModel before;
    try (SieveService service = new SieveService(config).start()) {
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      // Given a model bootstrapped from three topics, then a fourth, far topic
      Map<String, List<Float>> feed = new TreeMap<>();
      for (int t = 0; t < 3; t++) {
        feed.putAll(topic(t, 0, 10));
      }
      produce(service.topics(), feed);
      CentroidModel bootstrapped =
          awaitModel(config, m -> m.getClusters().size() == 3, Duration.ofSeconds(90));
      assertThat(ids(bootstrapped)).containsExactly(0, 1, 2);
      produce(service.topics(), topic(3, 0, 6));
      before = awaitModel(config, m -> m.getClusters().size() == 4, Duration.ofSeconds(90));
      assertThat(ids(before)).containsExactly(0, 1, 2, 3);
      assertThat(before.getNextClusterId()).isEqualTo(4);
    }

    // When the app restarts on the same state directory and a fifth, far topic arrives
    try (SieveService service = new SieveService(config).start()) {
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      produce(service.topics(), topic(4, 0, 6));
      CentroidModel after =
          awaitModel(config, m -> m.getClusters().size() == 5, Duration.ofSeconds(90));

      // Then the new cluster takes the stored next id, 4, and the existing ids are unchanged
      assertThat(ids(after)).containsExactly(0, 1, 2, 3, 4);
      assertThat(after.getNextClusterId()).isEqualTo(5);
      assertThat(after.getVersion()).isGreaterThan(before.getVersion());
      // each old id still names the same cluster: its centre barely moved
      for (Centroid c : before.getClusters()) {
        assertThat(Vectors.dot(center(before, c.getId()), center(after, c.getId())))
            .as("cluster %d", c.getId())
            .isGreaterThan(0.95f);
      }
      // and the new cluster sits on the fifth topic's axis
      assertThat(center(after, 4)[28]).isGreaterThan(0.9f);
    }
  }

  @Test
  void shouldDropNearDuplicatesThroughTheRealTopology() throws Exception {
    SieveConfig config = config("near", temp.resolve("state"));
    try (SieveService service = new SieveService(config).start()) {
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      // Given 30 distinct examples on three topics
      poolThirtyOnThreeTopics(service, config);

      // When three nudged copies of pooled examples arrive (cosine > 0.999, not exact copies)
      Map<String, List<Float>> copies = new TreeMap<>();
      for (int t = 0; t < 3; t++) {
        List<Float> copy = new ArrayList<>(embedding(t, 5));
        copy.set(1, copy.get(1) + 0.01f);
        copies.put("copy-" + t, copy);
      }
      copies.put("fresh", embedding(1, 50));
      produce(service.topics(), copies);

      // Then the copies are counted as near duplicates and not pooled; the fresh one is pooled
      Map<Integer, ClusterStats> stats =
          awaitStats(
              config, s -> total(s, ClusterStats::getNearDuplicates) == 3, Duration.ofSeconds(90));
      assertThat(total(stats, ClusterStats::getNearDuplicates)).isEqualTo(3);
      stats =
          awaitStats(config, s -> total(s, ClusterStats::getSize) == 31, Duration.ofSeconds(30));
      assertThat(total(stats, ClusterStats::getSize)).isEqualTo(31);
      assertThat(service.metrics().nearDuplicates()).isEqualTo(3);
    }
  }

  @Test
  void shouldDropExactCopiesInThePoolsTaskAcrossARestart() throws Exception {
    // Given exact dedup in the pool's task: one repartition between the examples and the pool
    Map<String, Object> props = new HashMap<>(config("scope", temp.resolve("state")).originals());
    props.put(SieveConfig.DEDUP_SCOPE_CONFIG, SieveConfig.DEDUP_SCOPE_CLUSTER);
    SieveConfig config = new SieveConfig(props);
    try (SieveService service = new SieveService(config).start()) {
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      poolThirtyOnThreeTopics(service, config);

      // When exact copies of three pooled examples arrive under other ids, beside a fresh one
      Map<String, TrainingExample> copies = new TreeMap<>();
      for (int t = 0; t < 3; t++) {
        copies.put("copy-" + t, example("copy-" + t, "t" + t + "-5", embedding(t, 5)));
      }
      copies.put("fresh", example("fresh", "fresh", embedding(2, 50)));
      produceExamples(service.topics(), copies);

      // Then the copies are counted and not pooled, the fresh one is pooled
      Map<Integer, ClusterStats> stats =
          awaitStats(config, s -> total(s, ClusterStats::getSize) == 31, Duration.ofSeconds(90));
      assertThat(total(stats, ClusterStats::getSize)).isEqualTo(31);
      // the copies sit on other partitions than the fresh one: wait for them, not for the size
      assertThat(awaitDuplicates(service, 3)).isEqualTo(3);
      // and no topic was made for a repartition by content
      try (Admin admin =
          Admin.create(Map.of("bootstrap.servers", STACK.kafka().bootstrapServers()))) {
        String app = config.getString(SieveConfig.APPLICATION_ID_CONFIG);
        assertThat(admin.listTopics().names().get())
            .anyMatch(t -> t.startsWith(app) && t.contains("by-cluster"))
            .noneMatch(t -> t.startsWith(app) && t.contains("by-content"));
      }
    }

    // When the app restarts on the same state directory and one more copy arrives
    try (SieveService service = new SieveService(config).start()) {
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      produceExamples(
          service.topics(),
          Map.of(
              "copy-again", example("copy-again", "t1-5", embedding(1, 5)),
              "fresh-2", example("fresh-2", "fresh-2", embedding(0, 60))));

      // Then the restored dedup store still knows the content: only the fresh one is pooled
      Map<Integer, ClusterStats> stats =
          awaitStats(config, s -> total(s, ClusterStats::getSize) == 32, Duration.ofSeconds(90));
      assertThat(total(stats, ClusterStats::getSize)).isEqualTo(32);
      assertThat(awaitDuplicates(service, 1)).isEqualTo(1);
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** The service's dropped exact duplicates once they reach {@code expected}, or after 60 s. */
  private static long awaitDuplicates(SieveService service, long expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (service.metrics().duplicates() < expected && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    return service.metrics().duplicates();
  }

  /** Sends examples 0–9 of topics 0–2 and waits until the pool holds all 30. */
  private static void poolThirtyOnThreeTopics(SieveService service, SieveConfig config) {
    Map<String, List<Float>> feed = new TreeMap<>();
    for (int t = 0; t < 3; t++) {
      feed.putAll(topic(t, 0, 10));
    }
    produce(service.topics(), feed);
    awaitStats(config, s -> total(s, ClusterStats::getSize) == 30, Duration.ofSeconds(90));
  }

  private static List<Integer> ids(CentroidModel model) {
    return model.getClusters().stream().map(Centroid::getId).sorted().toList();
  }

  private static float[] center(CentroidModel model, int id) {
    for (Centroid c : model.getClusters()) {
      if (c.getId() == id) {
        return Vectors.unpack(c.getCenter().duplicate());
      }
    }
    throw new AssertionError("no cluster " + id + " in " + ids(model));
  }

  private static long total(
      Map<Integer, ClusterStats> stats, java.util.function.ToLongFunction<ClusterStats> f) {
    return stats.values().stream().mapToLong(f).sum();
  }

  /** The latest model on the centroids topic once it satisfies {@code done}. */
  private static CentroidModel awaitModel(
      SieveConfig config, Predicate<CentroidModel> done, Duration timeout) {
    String topic = config.getString(SieveConfig.TOPIC_CENTROIDS_CONFIG);
    CentroidModel latest = null;
    try (KafkaConsumer<String, byte[]> c = consumer(new StringDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + timeout.toNanos();
      while ((latest == null || !done.test(latest)) && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          latest = serdes.deserialize(topic, r.value(), CentroidModel.class);
        }
      }
    }
    assertThat(latest).as("a model within %s", timeout).isNotNull();
    assertThat(done.test(latest)).as("latest model %s", ids(latest)).isTrue();
    return latest;
  }

  /** The latest statistics per cluster once they satisfy {@code done}. */
  private static Map<Integer, ClusterStats> awaitStats(
      SieveConfig config, Predicate<Map<Integer, ClusterStats>> done, Duration timeout) {
    return ItClients.awaitClusterStats(
        STACK.kafka().bootstrapServers(),
        serdes,
        config.getString(SieveConfig.TOPIC_CLUSTER_STATS_CONFIG),
        done,
        timeout);
  }

  private static <K> KafkaConsumer<K, byte[]> consumer(Deserializer<K> keys) {
    return ItClients.consumer(STACK.kafka().bootstrapServers(), keys);
  }
}
