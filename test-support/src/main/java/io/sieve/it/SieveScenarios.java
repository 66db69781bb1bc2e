package io.sieve.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.app.SieveService;
import io.sieve.app.TrainerAdmin;
import io.sieve.avro.BatchExample;
import io.sieve.avro.DeadLetter;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.registry.RestSchemaRegistry;
import io.sieve.serde.AvroSerdes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The end-to-end scenarios of Sieve, written once against a {@link SieveStack} (a Kafka broker and
 * a schema registry): {@link SieveIT} runs them on the in-process broker and the registry child
 * process, {@link SieveContainersIT} on the containers of the compose file. Each scenario runs the
 * topology in this JVM with an application id and topic names of its own.
 */
public final class SieveScenarios {

  private static final int DIMENSION = 32;
  private static final String[][] TOPICS = {
    {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"},
    {"apple", "banana", "cherry", "grape", "lemon", "mango", "peach", "plum"},
    {"anvil", "hammer", "chisel", "wrench", "pliers", "saw", "drill", "lathe"},
    {"river", "ocean", "lake", "stream", "creek", "delta", "bay", "fjord"}
  };

  private final SieveStack stack;
  private final AvroSerdes serdes;

  public SieveScenarios(SieveStack stack) {
    this.stack = stack;
    this.serdes = new AvroSerdes(new RestSchemaRegistry(stack.registryUrl()));
  }

  public AvroSerdes serdes() {
    return serdes;
  }

  /** A config whose application id and topic names belong to one test only. */
  public SieveConfig config(String name, Path stateDir) {
    return new SieveConfig(properties(name, stateDir));
  }

  /** The properties of {@link #config}, for tests that pass them on (to the CLI, in a file). */
  public Map<String, Object> properties(String name, Path stateDir) {
    Map<String, Object> props =
        ItConfigs.isolated(name, stack.bootstrapServers(), stack.registryUrl(), stateDir);
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, DIMENSION);
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 60);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 4);
    props.put(SieveConfig.CLUSTER_UPDATE_INTERVAL_CONFIG, 500L);
    props.put("streams.commit.interval.ms", 100);
    return props;
  }

  // ---- scenarios -----------------------------------------------------------------------------

  public void uniformBatchesInWireFormatWithoutRepeatsAndDeadLetters(Path temp) throws Exception {
    SieveConfig config = config("uniform", temp.resolve("state"));
    try (SieveService service = new SieveService(config).start();
        TestTrainer trainer = trainer(config, service.topics(), "t-uniform")) {
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      // Given 200 distinct valid examples and one of each kind of bad record
      Set<String> valid = produceExamples(service.topics(), "u", 200, new Random(1));
      Map<String, String> badReasons = produceMalformed(service.topics());
      // all pooled before the first cycle starts, so that cycle 0 is the whole pool
      waitForPoolSizes(config, valid.size(), Duration.ofSeconds(60));
      // When a uniform trainer asks for batches of 20
      declare(config, service.topics(), "t-uniform", "uniform", 20, 2);
      List<TrainingBatch> batches = trainer.consume(25, Duration.ofSeconds(120));

      // Then every batch record is in the Confluent wire format
      assertThat(trainer.rawValues).allSatisfy(raw -> assertThat(raw[0]).isEqualTo((byte) 0));
      for (byte[] raw : trainer.rawValues) {
        int id = ByteBuffer.wrap(raw, 1, 4).getInt();
        assertThat(serdes.deserialize(trainer.topic, raw, TrainingBatch.class)).isNotNull();
        assertThat(new RestSchemaRegistry(stack.registryUrl()).schemaById(id).getFullName())
            .isEqualTo(TrainingBatch.getClassSchema().getFullName());
      }
      // and no example repeats within a cycle, and cycle 0 covers the whole pool exactly once
      Map<Long, List<String>> byCycle = idsByCycle(batches);
      byCycle.forEach(
          (cycle, ids) -> assertThat(ids).as("ids of cycle %d", cycle).doesNotHaveDuplicates());
      assertThat(new HashSet<>(byCycle.get(0L))).isEqualTo(valid);
      assertThat(batches).allSatisfy(b -> assertThat(b.getComplete()).isTrue());
      assertThat(batches).allSatisfy(b -> assertThat(b.getExamples()).hasSize(20));

      // and every bad record is a dead letter with its reason
      Map<String, DeadLetter> letters =
          deadLetters(config, badReasons.size(), Duration.ofSeconds(60));
      badReasons.forEach(
          (key, reason) ->
              assertThat(letters.get(key))
                  .as(key)
                  .isNotNull()
                  .extracting(DeadLetter::getReason)
                  .isEqualTo(reason));

      // and the registry holds the subjects of the public topics only: the repartition topics
      // and changelogs, Sieve's private plumbing, registered nothing
      Topics topics = service.topics();
      assertThat(subjectsOf(config.applicationId()))
          .contains(
              trainer.topic + "-value",
              topics.examples().name() + "-value",
              topics.manifests().name() + "-value")
          .allSatisfy(
              subject ->
                  assertThat(subject)
                      .isIn(
                          topics.examples().name() + "-value",
                          topics.trainers().name() + "-value",
                          topics.feedback().name() + "-value",
                          topics.controls().name() + "-value",
                          topics.deadLetters().name() + "-value",
                          topics.centroids().name() + "-value",
                          topics.clusterStats().name() + "-value",
                          topics.manifests().name() + "-value",
                          trainer.topic + "-value"));
    }
  }

  /**
   * The registry's subjects that start with {@code prefix}: an isolated test's topics and its
   * application's internal topics all do.
   */
  public List<String> subjectsOf(String prefix) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(stack.registryUrl() + "/subjects")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    List<String> subjects = new ArrayList<>();
    // a JSON array of strings; subject names here are topic names, which hold no quotes
    Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(response.body());
    while (m.find()) {
      if (m.group(1).startsWith(prefix)) {
        subjects.add(m.group(1));
      }
    }
    return subjects;
  }

  public void clusterBalancedBatchesWithinOne(Path temp) throws Exception {
    SieveConfig config = config("balanced", temp.resolve("state"));
    try (SieveService service = new SieveService(config).start();
        TestTrainer trainer = trainer(config, service.topics(), "t-balanced")) {
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      // Given a skewed feed: one topic has most of the examples
      produceExamples(service.topics(), "b", 400, new Random(2));
      Map<Integer, Long> sizes = waitForPoolSizes(config, 400, Duration.ofSeconds(60));
      // When a cluster-balanced trainer asks for batches of 12
      declare(config, service.topics(), "t-balanced", "cluster-balanced", 12, 2);
      List<TrainingBatch> batches = trainer.consume(10, Duration.ofSeconds(90));
      // Then each batch splits evenly across the clusters that can supply their share
      int perCluster = 12 / sizes.size();
      for (TrainingBatch b : batches) {
        Map<Integer, Integer> counts = new TreeMap<>();
        b.getExamples().forEach(e -> counts.merge(e.getClusterId(), 1, Integer::sum));
        List<Integer> unconstrained = new ArrayList<>();
        sizes.forEach(
            (cluster, size) -> {
              if (size > perCluster + 1) {
                unconstrained.add(counts.getOrDefault(cluster, 0));
              }
            });
        assertThat(b.getExamples()).hasSize(12);
        assertThat(
                java.util.Collections.max(unconstrained) - java.util.Collections.min(unconstrained))
            .as("cluster counts %s of batch %s (pool sizes %s)", counts, b.getBatchId(), sizes)
            .isLessThanOrEqualTo(1);
      }
    }
  }

  public void nothingLostAcrossCloseAndRestartOnSameStateDirectory(Path temp) throws Exception {
    SieveConfig config = config("restart", temp.resolve("state"));
    List<TrainingBatch> before;
    Set<String> valid;
    try (SieveService service = new SieveService(config).start();
        TestTrainer trainer = trainer(config, service.topics(), "t-restart")) {
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      valid = produceExamples(service.topics(), "r1", 150, new Random(3));
      declare(config, service.topics(), "t-restart", "uniform", 10, 1);
      before = trainer.consume(5, Duration.ofSeconds(90));
    }
    // When the app restarts on the same state directory and more data arrives
    try (SieveService service = new SieveService(config).start();
        TestTrainer trainer = trainer(config, service.topics(), "t-restart")) {
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      valid.addAll(produceExamples(service.topics(), "r2", 150, new Random(4)));
      List<TrainingBatch> after = trainer.consume(10, Duration.ofSeconds(90));
      List<TrainingBatch> all = new ArrayList<>(before);
      all.addAll(after);
      // Then batches resume where they stopped: sequence numbers continue without gap or repeat
      List<Long> sequences = all.stream().map(TrainingBatch::getSequence).toList();
      assertThat(sequences).doesNotHaveDuplicates();
      assertThat(sequences)
          .containsExactlyElementsOf(
              java.util.stream.LongStream.range(0, all.size()).boxed().toList());
      // and no example repeats within a cycle across the restart
      idsByCycle(all).values().forEach(ids -> assertThat(ids).doesNotHaveDuplicates());
      // and every example produced before and after the restart is in the pool
      Map<Integer, Long> sizes = waitForPoolSizes(config, valid.size(), Duration.ofSeconds(60));
      assertThat(sizes.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(valid.size());
    }
  }

  public void longTextsTrimmedToFitTheBatchLimit(Path temp) throws Exception {
    // Given batches limited to 32 KiB, which a spec of 20 examples passes (its estimate allows
    // 1 KiB of text per example)
    Map<String, Object> props = properties("long-texts", temp.resolve("state"));
    props.put(SieveConfig.BATCH_MAX_BYTES_CONFIG, 32 * 1024);
    SieveConfig config = new SieveConfig(props);
    try (SieveService service = new SieveService(config).start();
        TestTrainer trainer = trainer(config, service.topics(), "t-long")) {
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      // and examples whose texts are about 6,000 characters, so that 20 of them (~120 KB) exceed
      // even the batch topic's limit (32 KiB + 64 KiB)
      String topic = service.topics().examples().name();
      Random rng = new Random(9);
      try (KafkaProducer<String, byte[]> producer = producer()) {
        for (int i = 0; i < 80; i++) {
          StringBuilder text = new StringBuilder();
          while (text.length() < 6000) {
            text.append(TOPICS[i % 4][rng.nextInt(TOPICS[i % 4].length)]).append(' ');
          }
          // an embedding of its own, random, so that no two examples are near duplicates
          List<Float> embedding = new ArrayList<>();
          for (int d = 0; d < DIMENSION; d++) {
            embedding.add((float) rng.nextGaussian());
          }
          String id = "long-" + i;
          TrainingExample example =
              TrainingExample.newBuilder()
                  .setId(id)
                  .setText(text + id)
                  .setEmbedding(embedding)
                  .build();
          producer.send(new ProducerRecord<>(topic, id, serdes.serialize(topic, example)));
        }
        producer.flush();
      }
      Map<Integer, Long> sizes = waitForPoolSizes(config, 80, Duration.ofSeconds(60));
      assertThat(sizes.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(80);
      // When a trainer asks for batches of 20
      declare(config, service.topics(), "t-long", "uniform", 20, 2);
      List<TrainingBatch> batches = trainer.consume(6, Duration.ofSeconds(120));
      // Then batches keep coming (the credit of each comes back), each written within the limit
      // and flagged incomplete, holding what fits
      assertThat(batches).hasSizeGreaterThanOrEqualTo(6);
      assertThat(trainer.rawValues)
          .allSatisfy(raw -> assertThat(raw.length).isLessThanOrEqualTo(32 * 1024));
      assertThat(batches)
          .allSatisfy(
              b -> {
                assertThat(b.getComplete()).isFalse();
                assertThat(b.getExamples()).hasSizeBetween(1, 19);
              });
      // and none of them became a dead letter
      assertThat(deadLetters(config, 1, Duration.ofSeconds(3))).isEmpty();
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  public static Map<Long, List<String>> idsByCycle(List<TrainingBatch> batches) {
    Map<Long, List<String>> byCycle = new TreeMap<>();
    for (TrainingBatch b : batches) {
      for (BatchExample e : b.getExamples()) {
        byCycle.computeIfAbsent(e.getCycle(), c -> new ArrayList<>()).add(e.getId());
      }
    }
    return byCycle;
  }

  public static void declare(
      SieveConfig config, Topics topics, String id, String policy, int batchSize, int window) {
    new TrainerAdmin(config, topics)
        .put(
            TrainerSpec.newBuilder()
                .setTrainerId(id)
                .setPolicy(policy)
                .setBatchSize(batchSize)
                .setWindow(window)
                .setSeed(5)
                .build());
  }

  public KafkaProducer<String, byte[]> producer() {
    return ItClients.producer(stack.bootstrapServers());
  }

  /** Sends n distinct examples, skewed across four topics (60/20/12/8 %); returns their ids. */
  public Set<String> produceExamples(Topics topics, String prefix, int n, Random rng)
      throws Exception {
    Set<String> ids = new HashSet<>();
    double[] shares = {0.6, 0.2, 0.12, 0.08};
    try (KafkaProducer<String, byte[]> producer = producer()) {
      for (int i = 0; i < n; i++) {
        double u = rng.nextDouble();
        int t = u < shares[0] ? 0 : u < shares[0] + shares[1] ? 1 : u < 0.92 ? 2 : 3;
        StringBuilder text = new StringBuilder();
        for (int w = 0; w < 8; w++) {
          text.append(TOPICS[t][rng.nextInt(TOPICS[t].length)]).append(' ');
        }
        String id = prefix + "-" + i;
        TrainingExample example =
            TrainingExample.newBuilder()
                .setId(id)
                .setText(text + id)
                .setGroups(Map.of("lang", i % 3 == 0 ? "de" : "en"))
                .build();
        producer.send(
            new ProducerRecord<>(
                topics.examples().name(), id, serdes.serialize(topics.examples().name(), example)));
        ids.add(id);
      }
      producer.flush();
    }
    return ids;
  }

  /** Sends one record of each kind the service must reject; returns key → expected reason. */
  public Map<String, String> produceMalformed(Topics topics) throws Exception {
    Map<String, String> reasons = new HashMap<>();
    String topic = topics.examples().name();
    List<Float> wrongDim = new ArrayList<>();
    List<Float> nonFinite = new ArrayList<>();
    for (int i = 0; i < DIMENSION; i++) {
      nonFinite.add(i == 0 ? Float.POSITIVE_INFINITY : 0.5f);
      if (i < 5) {
        wrongDim.add(0.5f);
      }
    }
    try (KafkaProducer<String, byte[]> producer = producer()) {
      producer.send(new ProducerRecord<>(topic, "bad-bytes", new byte[] {7, 7, 7}));
      reasons.put("bad-bytes", "undeserializable");
      send(
          producer,
          topic,
          "bad-no-id",
          TrainingExample.newBuilder().setId("").setText("x y").build());
      reasons.put("bad-no-id", "missing-id");
      send(
          producer,
          topic,
          "bad-dim",
          TrainingExample.newBuilder().setId("bad-dim").setEmbedding(wrongDim).build());
      reasons.put("bad-dim", "wrong-dimension");
      send(
          producer,
          topic,
          "bad-inf",
          TrainingExample.newBuilder().setId("bad-inf").setEmbedding(nonFinite).build());
      reasons.put("bad-inf", "non-finite-embedding");
      send(producer, topic, "bad-empty", TrainingExample.newBuilder().setId("bad-empty").build());
      reasons.put("bad-empty", "no-content");
      producer.flush();
    }
    return reasons;
  }

  private void send(
      KafkaProducer<String, byte[]> producer, String topic, String key, TrainingExample ex) {
    producer.send(new ProducerRecord<>(topic, key, serdes.serialize(topic, ex)));
  }

  /** Reads dead letters until {@code n} arrived; keyed by the original record key. */
  public Map<String, DeadLetter> deadLetters(SieveConfig config, int n, Duration timeout) {
    Map<String, DeadLetter> out = new HashMap<>();
    String topic = config.getString(SieveConfig.TOPIC_DEAD_LETTERS_CONFIG);
    try (KafkaConsumer<byte[], byte[]> c = consumer(new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (out.size() < n && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          DeadLetter letter = serdes.deserialize(topic, r.value(), DeadLetter.class);
          String key = letter.getKey() != null ? utf8(letter.getKey()) : letter.getRecordId();
          out.put(key, letter);
        }
      }
    }
    return out;
  }

  private static String utf8(ByteBuffer b) {
    byte[] bytes = new byte[b.remaining()];
    b.duplicate().get(bytes);
    return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Reads the compacted cluster-stats topic until the pooled sizes add up to {@code total}. */
  public Map<Integer, Long> waitForPoolSizes(SieveConfig config, long total, Duration timeout) {
    return ItClients.awaitPoolSizes(
        stack.bootstrapServers(),
        serdes,
        config.getString(SieveConfig.TOPIC_CLUSTER_STATS_CONFIG),
        total,
        timeout);
  }

  public <K> KafkaConsumer<K, byte[]> consumer(
      org.apache.kafka.common.serialization.Deserializer<K> keys) {
    return ItClients.consumer(stack.bootstrapServers(), keys);
  }

  /** A trainer that reads its batches and acknowledges each with feedback. */
  public TestTrainer trainer(SieveConfig config, Topics topics, String trainerId) {
    return new TestTrainer(
        stack.bootstrapServers(), serdes, config.applicationId(), topics, trainerId);
  }
}
