package io.sieve.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.app.TrainerAdmin;
import io.sieve.avro.BatchExample;
import io.sieve.avro.ClusterStats;
import io.sieve.avro.DeadLetter;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.embedded.EmbeddedKafka;
import io.sieve.embedded.RegistryServer;
import io.sieve.registry.RestSchemaRegistry;
import io.sieve.serde.AvroSerdes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults against Sieve running as child processes ({@code sieve run}) on the in-process broker and
 * the real registry: kill -9 and restart, scale out and in, broker restart, registry faults, poison
 * pills, schema evolution, and a bounded soak. Each scenario asserts the service's guarantees: no
 * example twice within a trainer's cycle, no acknowledged example lost, batches resume.
 */
class ReliabilityIT {

  private static final int DIMENSION = 32;
  private static final String[][] WORDS = {
    {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"},
    {"apple", "banana", "cherry", "grape", "lemon", "mango", "peach", "plum"},
    {"anvil", "hammer", "chisel", "wrench", "pliers", "saw", "drill", "lathe"},
    {"river", "ocean", "lake", "stream", "creek", "pond", "bay", "fjord"}
  };

  static ItStack stack;
  static EmbeddedKafka kafka;
  static RegistryServer registry;

  @TempDir static Path shared;
  @TempDir Path dir;

  @BeforeAll
  static void startStack() throws Exception {
    stack = ItStack.start(shared.resolve("kafka"), shared.resolve("registry.log"));
    kafka = stack.kafka();
    registry = stack.registry();
  }

  @AfterAll
  static void stopStack() {
    ItStack.close(stack);
  }

  @Test
  void shouldKeepGuaranteesWhenAnInstanceIsKilledAndRestarted() throws Exception {
    Scenario s = new Scenario("kill", registry.url());
    Set<String> valid = new HashSet<>();
    try (SieveProcess first = s.start("a");
        Trainer trainer = s.trainer("t1", "uniform", 20, 2)) {
      valid.addAll(s.produce("k1", 300));
      trainer.awaitBatches(6, Duration.ofSeconds(120));
      // When the instance dies without a chance to commit or close
      first.kill();
      valid.addAll(s.produce("k2", 200));
      try (SieveProcess second = s.start("b")) {
        // Then batches resume, and the guarantees hold across the crash
        trainer.awaitBatches(trainer.count() + 15, Duration.ofSeconds(180));
        s.assertGuarantees(trainer.batches(), valid);
        assertThat(second.isAlive()).isTrue();
      }
    }
  }

  @Test
  void shouldKeepGuaranteesWhenScalingOutAndBackIn() throws Exception {
    Scenario s = new Scenario("scale", registry.url());
    Set<String> valid = new HashSet<>();
    try (SieveProcess first = s.start("a");
        Trainer trainer = s.trainer("t1", "uniform", 20, 2)) {
      valid.addAll(s.produce("s1", 200));
      trainer.awaitBatches(4, Duration.ofSeconds(120));
      // When a second instance joins with the same application id
      try (SieveProcess second = s.start("b")) {
        valid.addAll(s.produce("s2", 200));
        trainer.awaitBatches(trainer.count() + 8, Duration.ofSeconds(180));
        // Then the two instances share the work: both are members holding partitions
        awaitTrue(() -> s.membersHoldingPartitions() == 2, Duration.ofSeconds(120));
        assertThat(s.membersHoldingPartitions()).as("instances holding partitions").isEqualTo(2);
        assertThat(first.isAlive()).isTrue();
        // and the first leaves cleanly
        first.stop();
        valid.addAll(s.produce("s3", 100));
        trainer.awaitBatches(trainer.count() + 8, Duration.ofSeconds(300));
        assertThat(second.isAlive()).isTrue();
        try {
          s.assertGuarantees(trainer.batches(), valid);
        } catch (AssertionError e) {
          s.diagnose(first, second);
          throw e;
        }
      }
    }
  }

  @Test
  void shouldRecoverFromABrokerRestart() throws Exception {
    Scenario s = new Scenario("broker", registry.url());
    Set<String> valid = new HashSet<>();
    try (SieveProcess sieve = s.start("a");
        Trainer trainer = s.trainer("t1", "cluster-balanced", 16, 2)) {
      valid.addAll(s.produce("b1", 250));
      trainer.awaitBatches(5, Duration.ofSeconds(120));
      // When the broker goes down for a few seconds and comes back on the same address
      kafka.restart(Duration.ofSeconds(3));
      valid.addAll(s.produce("b2", 150));
      // Then Sieve carries on
      trainer.awaitBatches(trainer.count() + 10, Duration.ofSeconds(240));
      assertThat(sieve.isAlive()).isTrue();
      s.assertGuarantees(trainer.batches(), valid);
    }
  }

  @Test
  void shouldWaitForARegistryThatIsNotUpYetThenWork() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port + RegistryServer.CCOMPAT_PATH;
    Scenario s = new Scenario("late-registry", url);
    try (SieveProcess sieve = s.start("a")) {
      // Given no registry at the configured address: a clear error, retried, and no crash
      awaitTrue(() -> logContains(sieve, "schema registry not usable yet"), Duration.ofSeconds(60));
      assertThat(logText(sieve)).contains(url);
      assertThat(sieve.isAlive()).isTrue();
      // When the registry comes up there
      try (RegistryServer late =
          RegistryServer.start(RegistryServer.locate(), dir.resolve("late-registry.log"), port)) {
        assertThat(late.url()).isEqualTo(url);
        Set<String> valid = s.produce("l1", 150);
        try (Trainer trainer = s.trainer("t1", "uniform", 10, 2)) {
          // Then Sieve serves batches
          trainer.awaitBatches(5, Duration.ofSeconds(180));
          s.assertGuarantees(trainer.batches(), valid);
        }
      }
    }
  }

  @Test
  void shouldRideOutARegistryOutageMidRun() throws Exception {
    Scenario s = new Scenario("registry-outage", registry.url());
    Set<String> valid = new HashSet<>();
    try (SieveProcess sieve = s.start("a");
        Trainer first = s.trainer("t1", "uniform", 10, 2)) {
      valid.addAll(s.produce("o1", 200));
      first.awaitBatches(4, Duration.ofSeconds(120));
      // When the registry stops answering while a new trainer needs a new subject
      signal(registry.pid(), "STOP");
      try (Trainer second = s.trainer("t2", "uniform", 10, 2)) {
        valid.addAll(s.produce("o2", 100));
        Thread.sleep(15_000);
        signal(registry.pid(), "CONT");
        // Then, once it answers again, both trainers get their batches and nothing is lost
        second.awaitBatches(4, Duration.ofSeconds(180));
        first.awaitBatches(first.count() + 4, Duration.ofSeconds(180));
        assertThat(sieve.isAlive()).isTrue();
        s.assertGuarantees(first.batches(), valid);
        s.assertNoRepeats(second.batches());
        assertThat(s.deadLetters(Duration.ofSeconds(5))).isEmpty();
      }
    } finally {
      signal(registry.pid(), "CONT");
    }
  }

  @Test
  void shouldDeadLetterEveryPoisonPillAtAHighRate() throws Exception {
    Scenario s = new Scenario("poison", registry.url());
    try (SieveProcess sieve = s.start("a")) {
      // Given a running instance
      Set<String> valid = new HashSet<>(s.produce("warm", 60));
      s.awaitPooled(valid.size(), Duration.ofSeconds(120));
      // and a stream where two records in three are poison
      int n = 3000;
      int poison = 0;
      long start = System.nanoTime();
      try (KafkaProducer<String, byte[]> producer = producer()) {
        for (int i = 0; i < n; i++) {
          String key = "p-" + i;
          if (i % 3 == 0) {
            producer.send(new ProducerRecord<>(s.topics.examples().name(), key, new byte[] {9, 9}));
            poison++;
          } else if (i % 3 == 1) {
            TrainingExample noId = TrainingExample.newBuilder().setId("").setText("x " + i).build();
            producer.send(
                new ProducerRecord<>(
                    s.topics.examples().name(),
                    key,
                    s.serdes.serialize(s.topics.examples().name(), noId)));
            poison++;
          } else {
            producer.send(s.example(key, i));
            valid.add(key);
          }
        }
      }
      // Then every poison pill is a dead letter and every good record is pooled
      List<DeadLetter> letters = s.awaitDeadLetters(poison, Duration.ofSeconds(180));
      s.awaitPooled(valid.size(), Duration.ofSeconds(180));
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "poison pills: %d records (%d poison) handled in %.1f s: %.0f records/s%n",
          n, poison, seconds, n / seconds);
      assertThat(letters).hasSize(poison);
      assertThat(letters.stream().map(DeadLetter::getReason).distinct())
          .containsExactlyInAnyOrder("undeserializable", "missing-id");
      assertThat(sieve.isAlive()).isTrue();
    }
  }

  @Test
  void shouldKeepWorkingWhenAProducerAddsAnOptionalField() throws Exception {
    Scenario s = new Scenario("evolution", registry.url());
    try (SieveProcess sieve = s.start("a");
        Trainer trainer = s.trainer("t1", "uniform", 10, 1)) {
      Set<String> valid = s.produce("v1", 60);
      // When a producer writes with a newer schema: one more optional field
      Schema evolved = evolvedExampleSchema();
      String topic = s.topics.examples().name();
      int id = new RestSchemaRegistry(s.registryUrl).register(topic + "-value", evolved);
      try (KafkaProducer<String, byte[]> producer = producer()) {
        for (int i = 0; i < 60; i++) {
          String key = "v2-" + i;
          GenericRecord r = new GenericData.Record(evolved);
          r.put("id", key);
          r.put("text", sentence(new Random(i), i % 4) + " " + key);
          r.put("groups", Map.of("lang", "en"));
          r.put("sourceUrl", "https://example.org/" + i);
          producer.send(new ProducerRecord<>(topic, key, wire(id, evolved, r)));
          valid.add(key);
        }
      }
      // Then its examples are pooled and served like the others
      s.awaitPooled(valid.size(), Duration.ofSeconds(120));
      trainer.awaitBatches(12, Duration.ofSeconds(180));
      Set<String> served = new HashSet<>();
      trainer.batches().forEach(b -> b.getExamples().forEach(e -> served.add(e.getId())));
      assertThat(served).anyMatch(x -> x.startsWith("v2-"));
      assertThat(s.deadLetters(Duration.ofSeconds(3))).isEmpty();
      assertThat(sieve.isAlive()).isTrue();
    }
  }

  @Test
  void shouldStayBoundedInMemoryAndDiskOverASoak() throws Exception {
    Scenario s = new Scenario("soak", registry.url());
    s.config.put(SieveConfig.POOL_CAPACITY_CONFIG, 50);
    s.config.put(SieveConfig.DEDUP_RETENTION_CONFIG, 10_000L);
    Path state = dir.resolve("state-a");
    try (SieveProcess sieve = s.start("a");
        Trainer trainer = s.trainer("t1", "uniform", 20, 2)) {
      List<long[]> samples = new ArrayList<>();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      int i = 0;
      try (KafkaProducer<String, byte[]> producer = producer()) {
        while (System.nanoTime() < end) {
          for (int j = 0; j < 200; j++, i++) {
            producer.send(s.example("soak-" + i, i));
          }
          Thread.sleep(500);
          if (i % 2000 == 0) {
            samples.add(new long[] {i, sieve.rssKib(), sizeKib(state)});
          }
        }
      }
      // Then memory and disk level off while examples keep coming
      samples.forEach(
          x ->
              System.out.printf(
                  "soak: %d examples sent, RSS %d KiB, state %d KiB%n", x[0], x[1], x[2]));
      long[] early = samples.get(samples.size() / 3);
      long[] last = samples.get(samples.size() - 1);
      assertThat(last[0]).isGreaterThan(2 * early[0]);
      assertThat(last[2]).as("state dir KiB").isLessThan(Math.max(2 * early[2], early[2] + 20_000));
      assertThat(last[1]).as("RSS KiB").isLessThan(early[1] + 300_000);
      assertThat(trainer.count()).isGreaterThan(10);
      assertThat(sieve.isAlive()).isTrue();
    }
  }

  // ---- scenario support ------------------------------------------------------------------------

  /** One scenario's application id, topics and clients. */
  final class Scenario {
    final Map<String, Object> config = new HashMap<>();
    final String registryUrl;
    final AvroSerdes serdes;
    final Topics topics;
    final SieveConfig sieveConfig;

    Scenario(String name, String registryUrl) throws IOException {
      this.registryUrl = registryUrl;
      config.putAll(
          ItConfigs.isolated(name, kafka.bootstrapServers(), registryUrl, dir.resolve("state")));
      config.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, DIMENSION);
      config.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 60);
      config.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 4);
      config.put(SieveConfig.CLUSTER_UPDATE_INTERVAL_CONFIG, 500L);
      config.put("streams.commit.interval.ms", 200);
      this.sieveConfig = new SieveConfig(config);
      this.serdes = new AvroSerdes(new RestSchemaRegistry(registryUrl));
      this.topics = Topics.from(sieveConfig, serdes);
    }

    /** A Sieve instance on its own state directory, as on its own machine. */
    SieveProcess start(String name) throws IOException {
      Map<String, Object> c = new HashMap<>(config);
      c.put(SieveConfig.STATE_DIR_CONFIG, dir.resolve("state-" + name).toString());
      return SieveProcess.start(c, dir, config.get(SieveConfig.APPLICATION_ID_CONFIG) + "-" + name);
    }

    Trainer trainer(String id, String policy, int batchSize, int window) throws Exception {
      awaitTopic(topics.trainers().name(), Duration.ofSeconds(120));
      new TrainerAdmin(new SieveConfig(config), topics)
          .put(
              TrainerSpec.newBuilder()
                  .setTrainerId(id)
                  .setPolicy(policy)
                  .setBatchSize(batchSize)
                  .setWindow(window)
                  .setSeed(3)
                  .build());
      return new Trainer(this, id);
    }

    ProducerRecord<String, byte[]> example(String id, int i) {
      Random rng = new Random(i * 31L + id.hashCode());
      TrainingExample ex =
          TrainingExample.newBuilder()
              .setId(id)
              .setText(sentence(rng, i % 4) + " " + id)
              .setGroups(Map.of("lang", i % 3 == 0 ? "de" : "en"))
              .build();
      String topic = topics.examples().name();
      return new ProducerRecord<>(topic, id, serdes.serialize(topic, ex));
    }

    Set<String> produce(String prefix, int n) throws Exception {
      awaitTopic(topics.examples().name(), Duration.ofSeconds(120));
      Set<String> ids = new HashSet<>();
      try (KafkaProducer<String, byte[]> producer = producer()) {
        for (int i = 0; i < n; i++) {
          String id = prefix + "-" + i;
          producer.send(example(id, i)).get(60, TimeUnit.SECONDS);
          ids.add(id);
        }
      }
      return ids;
    }

    /**
     * Instances of the application with at least one stream thread holding a partition (each thread
     * is a member of the consumer group on its own).
     */
    long membersHoldingPartitions() {
      String group = String.valueOf(config.get(SieveConfig.APPLICATION_ID_CONFIG));
      try (var admin = kafka.newAdmin()) {
        return admin
            .describeConsumerGroups(List.of(group))
            .describedGroups()
            .get(group)
            .get(10, TimeUnit.SECONDS)
            .members()
            .stream()
            .filter(m -> !m.assignment().topicPartitions().isEmpty())
            // each stream thread is a member of its own: count the instances they belong to
            .map(m -> m.clientId().replaceAll("-StreamThread-\\d+-consumer$", ""))
            .distinct()
            .count();
      } catch (Exception e) {
        return -1;
      }
    }

    /**
     * No repeat within a cycle; sequences 0..n−1 once each; every produced example pooled (with
     * each cluster's size, seen and near-duplicate counts in the message when not).
     */
    void assertGuarantees(List<TrainingBatch> batches, Set<String> valid) {
      assertNoRepeats(batches);
      List<Long> sequences = batches.stream().map(TrainingBatch::getSequence).sorted().toList();
      assertThat(sequences)
          .as("batch sequence numbers")
          .containsExactlyElementsOf(LongStream.range(0, batches.size()).boxed().toList());
      Map<Integer, ClusterStats> stats =
          ItClients.awaitClusterStats(
              kafka.bootstrapServers(),
              serdes,
              topics.clusterStats().name(),
              m -> m.values().stream().mapToLong(ClusterStats::getSize).sum() >= valid.size(),
              // a loaded machine after a rebalance may take minutes to pool the last examples
              Duration.ofSeconds(300));
      StringBuilder perCluster = new StringBuilder();
      stats.forEach(
          (c, x) ->
              perCluster.append(
                  String.format(
                      " %d: size %d, seen %d, near duplicates %d;",
                      c, x.getSize(), x.getSeen(), x.getNearDuplicates())));
      assertThat(stats.values().stream().mapToLong(ClusterStats::getSize).sum())
          .as("examples pooled (per cluster:%s)", perCluster)
          .isEqualTo(valid.size());
    }

    void assertNoRepeats(List<TrainingBatch> batches) {
      Map<Long, List<String>> byCycle = new TreeMap<>();
      for (TrainingBatch b : batches) {
        for (BatchExample e : b.getExamples()) {
          byCycle.computeIfAbsent(e.getCycle(), c -> new ArrayList<>()).add(e.getId());
        }
      }
      byCycle.forEach(
          (cycle, ids) ->
              assertThat(ids).as("examples of cycle %d", cycle).doesNotHaveDuplicates());
    }

    /**
     * Prints what tells a lost example from a stuck one: the application's committed offsets
     * against the end of every input and internal topic, each live instance's non-zero Sieve
     * counters, and each instance's warnings and errors.
     */
    void diagnose(SieveProcess... instances) {
      String group = String.valueOf(config.get(SieveConfig.APPLICATION_ID_CONFIG));
      try (var admin = kafka.newAdmin()) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin
                .listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
        var ends = admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS);
        Map<String, String> lines = new TreeMap<>();
        committed.forEach(
            (tp, o) ->
                lines.put(
                    tp.toString(), (o == null ? -1 : o.offset()) + " of " + ends.get(tp).offset()));
        lines.forEach((tp, v) -> System.out.printf("diagnose: committed %s: %s%n", tp, v));
      } catch (Exception e) {
        System.out.println("diagnose: offsets not readable: " + e);
      }
      for (SieveProcess p : instances) {
        try {
          if (p.isAlive()) {
            HttpResponse<String> metrics =
                HttpClient.newHttpClient()
                    .send(
                        HttpRequest.newBuilder(p.restUrl().resolve("/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString());
            metrics
                .body()
                .lines()
                .filter(l -> l.startsWith("sieve_") && !l.endsWith(" 0.0"))
                .forEach(l -> System.out.println("diagnose: " + l));
          }
          p.logText()
              .lines()
              .filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))
              .filter(l -> !l.contains("Sender") && !l.contains("NetworkClient"))
              .forEach(l -> System.out.println("diagnose: log: " + l));
        } catch (Exception e) {
          System.out.println("diagnose: instance not readable: " + e);
        }
      }
    }

    /**
     * Sum of pool sizes from the cluster-stats topic, once it reaches {@code n} or time runs out.
     */
    long awaitPooled(long n, Duration timeout) {
      return sum(
          ItClients.awaitPoolSizes(
              kafka.bootstrapServers(), serdes, topics.clusterStats().name(), n, timeout));
    }

    List<DeadLetter> awaitDeadLetters(int n, Duration timeout) {
      List<DeadLetter> out = new ArrayList<>();
      String topic = topics.deadLetters().name();
      try (KafkaConsumer<byte[], byte[]> c = consumer(new ByteArrayDeserializer())) {
        c.subscribe(List.of(topic));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (out.size() < n && System.nanoTime() < deadline) {
          for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(300))) {
            out.add(serdes.deserialize(topic, r.value(), DeadLetter.class));
          }
        }
      }
      return out;
    }

    List<DeadLetter> deadLetters(Duration wait) {
      return awaitDeadLetters(Integer.MAX_VALUE, wait);
    }
  }

  /** Reads a trainer's batches in the background and acknowledges each one. */
  static final class Trainer implements AutoCloseable {
    /** Batches by id: a consumer may see a batch again after a rebalance; trainers dedupe. */
    private final Map<String, TrainingBatch> batches =
        Collections.synchronizedMap(new java.util.LinkedHashMap<>());

    private final List<String> conflicts = Collections.synchronizedList(new ArrayList<>());
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer = producer();
    private final Thread thread;
    private volatile boolean running = true;

    Trainer(Scenario s, String id) {
      String topic = s.topics.batchTopic(id);
      String feedback = s.topics.feedback().name();
      consumer =
          ItClients.batchConsumer(
              kafka.bootstrapServers(), s.config.get(SieveConfig.APPLICATION_ID_CONFIG) + "-" + id);
      thread =
          new Thread(
              () -> {
                try {
                  consumer.subscribe(List.of(topic));
                  while (running) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                      TrainingBatch b = s.serdes.deserialize(topic, r.value(), TrainingBatch.class);
                      TrainingBatch earlier = batches.putIfAbsent(b.getBatchId(), b);
                      if (earlier != null && !earlier.equals(b)) {
                        conflicts.add(b.getBatchId());
                      }
                      TrainerFeedback fb =
                          TrainerFeedback.newBuilder()
                              .setTrainerId(id)
                              .setBatchId(b.getBatchId())
                              .build();
                      producer.send(
                          new ProducerRecord<>(feedback, id, s.serdes.serialize(feedback, fb)));
                    }
                  }
                } catch (WakeupException e) {
                  // closing
                } finally {
                  consumer.close();
                }
              },
              "trainer-" + id);
      thread.start();
    }

    int count() {
      return batches.size();
    }

    /**
     * Distinct batches received; a batch id seen twice must have had the same content. Batches are
     * assembled on the partitions of their own ids, so with a window of two the later one can
     * arrive first (trainers order them by sequence): the snapshot is the first one, within two
     * minutes, that holds every sequence up to its highest, or the last one taken.
     */
    List<TrainingBatch> batches() throws InterruptedException {
      assertThat(conflicts).as("batch ids delivered with different contents").isEmpty();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (true) {
        List<TrainingBatch> snapshot;
        synchronized (batches) {
          snapshot = new ArrayList<>(batches.values());
        }
        long highest = snapshot.stream().mapToLong(TrainingBatch::getSequence).max().orElse(-1);
        if (highest + 1 == snapshot.size() || System.nanoTime() > deadline) {
          return snapshot;
        }
        Thread.sleep(100);
      }
    }

    void awaitBatches(int n, Duration timeout) throws InterruptedException {
      awaitTrue(() -> batches.size() >= n, timeout);
      assertThat(batches.size())
          .as("batches received within %s", timeout)
          .isGreaterThanOrEqualTo(n);
    }

    @Override
    public void close() {
      running = false;
      consumer.wakeup();
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      producer.close();
    }
  }

  // ---- plumbing -------------------------------------------------------------------------------

  static String sentence(Random rng, int topic) {
    StringBuilder text = new StringBuilder();
    for (int w = 0; w < 8; w++) {
      text.append(WORDS[topic][rng.nextInt(WORDS[topic].length)]).append(' ');
    }
    return text.toString().trim();
  }

  static Schema evolvedExampleSchema() {
    Schema base = TrainingExample.getClassSchema();
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : base.getFields()) {
      fields.add(new Schema.Field(f, f.schema()));
    }
    fields.add(
        new Schema.Field(
            "sourceUrl",
            SchemaBuilder.unionOf().nullType().and().stringType().endUnion(),
            "Where the example was found.",
            Schema.Field.NULL_DEFAULT_VALUE));
    return Schema.createRecord(base.getName(), base.getDoc(), base.getNamespace(), false, fields);
  }

  static byte[] wire(int id, Schema schema, GenericRecord record) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(schema).write(record, enc);
    enc.flush();
    return out.toByteArray();
  }

  static long sum(Map<Integer, Long> sizes) {
    return sizes.values().stream().mapToLong(Long::longValue).sum();
  }

  static long sizeKib(Path root) throws IOException {
    if (!Files.exists(root)) {
      return 0;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      return paths.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum() / 1024;
    }
  }

  static void awaitTopic(String topic, Duration timeout) throws Exception {
    awaitTrue(
        () -> {
          try (var admin = kafka.newAdmin()) {
            return admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic);
          } catch (Exception e) {
            return false;
          }
        },
        timeout);
  }

  static void awaitTrue(BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(250);
    }
  }

  static boolean logContains(SieveProcess p, String text) {
    return logText(p).contains(text);
  }

  static String logText(SieveProcess p) {
    try {
      return p.logText();
    } catch (IOException e) {
      return "";
    }
  }

  static void signal(long pid, String signal) throws IOException, InterruptedException {
    new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor();
  }

  static KafkaProducer<String, byte[]> producer() {
    Properties p = ItClients.producerProps(kafka.bootstrapServers());
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  static <K> KafkaConsumer<K, byte[]> consumer(
      org.apache.kafka.common.serialization.Deserializer<K> keys) {
    return ItClients.consumer(kafka.bootstrapServers(), keys);
  }
}
