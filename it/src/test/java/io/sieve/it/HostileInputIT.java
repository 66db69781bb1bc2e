package io.sieve.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.app.SieveService;
import io.sieve.app.TopicAdmin;
import io.sieve.app.TrainerAdmin;
import io.sieve.avro.DeadLetter;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.serde.AvroSerdes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hostile but fair input against one running instance with a control trainer that acknowledges
 * every batch: each input must land in dead letters with its reason while the control trainer keeps
 * receiving batches, and /health stays healthy throughout; then /health must turn unhealthy during
 * a real stall (a task that waits on a missing topic and commits nothing) and healthy again after
 * it.
 */
class HostileInputIT {

  private static final int DIMENSION = 32;
  private static final String TOKEN = "hostile-" + UUID.randomUUID();
  private static final Duration SOON = Duration.ofSeconds(60);
  private static final Logger LOG = LoggerFactory.getLogger(HostileInputIT.class);

  @RegisterExtension static final PerClassStack STACK = new PerClassStack();
  static AvroSerdes serdes;

  @TempDir Path temp;

  @BeforeAll
  static void serdesOverTheStacksRegistry() {
    serdes = STACK.serdes();
  }

  /** Reads its batches and acknowledges each at once, on a thread of its own. */
  private static final class ControlTrainer implements AutoCloseable {
    final AtomicInteger batches = new AtomicInteger();
    final AtomicBoolean hugeLossNext = new AtomicBoolean();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    ControlTrainer(String bootstrap, Topics topics, String trainerId, String group) {
      String topic = topics.batchTopic(trainerId);
      String feedback = topics.feedback().name();
      thread =
          new Thread(
              () -> {
                try (KafkaConsumer<String, byte[]> c = ItClients.batchConsumer(bootstrap, group);
                    KafkaProducer<String, byte[]> p = ItClients.producer(bootstrap)) {
                  c.subscribe(List.of(topic));
                  while (running.get()) {
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                      TrainingBatch b = serdes.deserialize(topic, r.value(), TrainingBatch.class);
                      TrainerFeedback.Builder fb =
                          TrainerFeedback.newBuilder()
                              .setTrainerId(trainerId)
                              .setBatchId(b.getBatchId());
                      if (hugeLossNext.getAndSet(false)) {
                        Map<String, Double> losses = new HashMap<>();
                        b.getClusterCounts().keySet().forEach(k -> losses.put(k, 1e308));
                        fb.setClusterLosses(losses);
                      }
                      p.send(
                          new ProducerRecord<>(
                              feedback, trainerId, serdes.serialize(feedback, fb.build())));
                      batches.incrementAndGet();
                    }
                    p.flush();
                    c.commitSync();
                  }
                } catch (RuntimeException | Error e) {
                  errors.add(e);
                }
              },
              "control-trainer");
      thread.setDaemon(true);
      thread.start();
    }

    @Override
    public void close() {
      running.set(false);
      try {
        thread.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Every dead letter written, read on a thread of its own. */
  private static final class DeadLetterWatch implements AutoCloseable {
    final List<DeadLetter> letters = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    DeadLetterWatch(String bootstrap, String topic) {
      thread =
          new Thread(
              () -> {
                try (KafkaConsumer<byte[], byte[]> c =
                    ItClients.consumer(bootstrap, new ByteArrayDeserializer())) {
                  c.subscribe(List.of(topic));
                  while (running.get()) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                      letters.add(serdes.deserialize(topic, r.value(), DeadLetter.class));
                    }
                  }
                }
              },
              "dead-letter-watch");
      thread.setDaemon(true);
      thread.start();
    }

    DeadLetter await(String reason, Predicate<DeadLetter> also) throws InterruptedException {
      long deadline = System.nanoTime() + SOON.toNanos();
      while (System.nanoTime() < deadline) {
        for (DeadLetter l : letters) {
          if (l.getReason().equals(reason) && also.test(l)) {
            return l;
          }
        }
        Thread.sleep(100);
      }
      throw new AssertionError(
          "no dead letter " + reason + " within " + SOON + "; got " + reasons());
    }

    List<String> reasons() {
      return letters.stream().map(l -> l.getStage() + "/" + l.getReason()).toList();
    }

    @Override
    public void close() {
      running.set(false);
      try {
        thread.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void await(String what, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 300 s: " + what);
      }
      Thread.sleep(100);
    }
  }

  /** The control trainer receives (and acknowledges) at least three more batches. */
  private static void controlKeepsGoing(ControlTrainer control, String after)
      throws InterruptedException {
    int seen = control.batches.get();
    long deadline = System.nanoTime() + SOON.toNanos();
    while (control.batches.get() < seen + 3 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(control.batches.get())
        .as("control batches after %s", after)
        .isGreaterThanOrEqualTo(seen + 3);
    assertThat(control.errors).isEmpty();
  }

  /** The wire-format header of {@code topic}'s value subject for {@code schema}. */
  private static byte[] header(String topic, org.apache.avro.Schema schema) {
    int id = serdes.registry().register(topic + "-value", schema);
    return new byte[] {0, (byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id};
  }

  private interface Body {
    void write(BinaryEncoder e) throws IOException;
  }

  /** Header, then the body, padded with zeros to {@code size} bytes. */
  private static byte[] forged(byte[] header, Body body, int size) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(header);
    BinaryEncoder e = EncoderFactory.get().directBinaryEncoder(out, null);
    body.write(e);
    e.flush();
    return Arrays.copyOf(out.toByteArray(), Math.max(size, out.size()));
  }

  private HttpResponse<String> health(HttpClient http, URI probes) throws Exception {
    return http.send(
        HttpRequest.newBuilder(probes.resolve("/health")).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldDeadLetterEachHostileInputWhileTheControlTrainerKeepsReceivingBatches()
      throws Exception {
    String bootstrap = STACK.kafka().bootstrapServers();
    Map<String, Object> props =
        ItConfigs.isolated("hostile", bootstrap, STACK.registry().url(), temp.resolve("state"));
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, DIMENSION);
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 40);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 3);
    props.put(SieveConfig.REST_ENABLED_CONFIG, true);
    props.put(SieveConfig.REST_TOKEN_CONFIG, TOKEN);
    props.put(SieveConfig.REST_PROBE_PORT_CONFIG, 0);
    props.put(SieveConfig.HEALTH_THREAD_FAILURES_CONFIG, 2);
    // a thread failing on one record is replaced about once a minute (the rebalance included)
    props.put(SieveConfig.HEALTH_WINDOW_CONFIG, 150_000L);
    props.put("streams.commit.interval.ms", 100);
    // the real stall below shows once a task has committed nothing for this long (Kafka Streams'
    // own task.timeout.ms and the producer's max.block.ms keep their defaults: no thread fails)
    props.put(SieveConfig.HEALTH_STALL_CONFIG, 10_000L);
    // the default stream threads (two on a 2-core machine): the stall below is judged while the
    // other thread keeps running
    SieveConfig config = new SieveConfig(props);
    HttpClient http = HttpClient.newHttpClient();
    Properties adminProps = new Properties();
    adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);

    try (SieveService service = new SieveService(config).start();
        KafkaProducer<String, byte[]> producer = ItClients.producer(bootstrap);
        Admin admin = Admin.create(adminProps)) {
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      Topics topics = service.topics();
      String examples = topics.examples().name();
      String trainers = topics.trainers().name();
      String feedback = topics.feedback().name();
      TrainerAdmin trainerAdmin = new TrainerAdmin(config, topics);

      // Given a pool of 120 examples and a control trainer acknowledging every batch
      for (int i = 0; i < 120; i++) {
        TrainingExample e =
            TrainingExample.newBuilder()
                .setId("ex-" + i)
                .setText("topic " + (i % 3) + " words " + i + " and " + (i * 7 % 13))
                .setGroups(Map.of("lang", i % 2 == 0 ? "en" : "de"))
                .build();
        producer.send(new ProducerRecord<>(examples, e.getId(), serdes.serialize(examples, e)));
      }
      producer.flush();
      trainerAdmin.put(spec("control", Map.of()));
      try (DeadLetterWatch deadLetters =
              new DeadLetterWatch(bootstrap, topics.deadLetters().name());
          ControlTrainer control =
              new ControlTrainer(bootstrap, topics, "control", config.applicationId() + "-c")) {
        controlKeepsGoing(control, "start");
        assertThat(health(http, service.probeUrl()).statusCode()).isEqualTo(200);

        // 1. a 20-byte example whose embedding claims two billion floats
        byte[] exampleHeader = header(examples, TrainingExample.getClassSchema());
        byte[] floats =
            forged(
                exampleHeader,
                e -> {
                  e.writeString("x");
                  e.writeIndex(0);
                  e.writeIndex(1);
                  e.writeLong(2_000_000_000L);
                },
                20);
        assertThat(floats).hasSize(20);
        producer.send(new ProducerRecord<>(examples, "floats", floats));
        producer.flush();
        assertThat(
                deadLetters
                    .await("undeserializable", l -> l.getError().contains("2000000000 items"))
                    .getTopic())
            .isEqualTo(examples);
        controlKeepsGoing(control, "two billion floats");

        // 2. the map variant, on each input topic: examples, trainers and feedback
        producer.send(
            new ProducerRecord<>(
                examples,
                "groups",
                forged(
                    exampleHeader,
                    e -> {
                      e.writeString("x");
                      e.writeIndex(0);
                      e.writeIndex(0);
                      e.writeLong(2_000_000_000L);
                    },
                    24)));
        producer.send(
            new ProducerRecord<>(
                feedback,
                "control",
                forged(
                    header(feedback, TrainerFeedback.getClassSchema()),
                    e -> {
                      e.writeString("control");
                      e.writeString("control-0");
                      e.writeLong(100_000_000L);
                    },
                    30)));
        producer.send(
            new ProducerRecord<>(
                trainers,
                "forged",
                forged(
                    header(trainers, TrainerSpec.getClassSchema()),
                    e -> e.writeLong(1_000_000_000L),
                    20)));
        producer.flush();
        deadLetters.await(
            "undeserializable",
            l -> examples.equals(l.getTopic()) && l.getError().contains("map claims 2000000000"));
        deadLetters.await(
            "undeserializable",
            l -> feedback.equals(l.getTopic()) && l.getError().contains("map claims 100000000"));
        deadLetters.await(
            "undeserializable",
            l -> trainers.equals(l.getTopic()) && l.getError().contains("1000000000 bytes"));
        controlKeepsGoing(control, "collections claiming more than their bytes");

        // 3. an undeserializable value of 2 MiB, compressed so that the broker takes it
        Properties big = ItClients.producerProps(bootstrap);
        big.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip");
        big.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * 1024 * 1024);
        byte[] huge = new byte[2 * 1024 * 1024 + 1];
        huge[0] = 7; // not the wire format's magic byte
        try (KafkaProducer<String, byte[]> bigProducer =
            new KafkaProducer<>(
                big,
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
          bigProducer.send(new ProducerRecord<>(examples, "huge", huge)).get(60, TimeUnit.SECONDS);
        }
        DeadLetter cut =
            deadLetters.await(
                "undeserializable",
                l -> Long.valueOf(huge.length).equals(l.getOriginalValueSize()));
        assertThat(cut.getValue().remaining()).isLessThan(huge.length);
        assertThat(cut.getOriginalValueSha256()).hasSize(64);
        controlKeepsGoing(control, "a 2 MiB undeserializable value");

        // 4. two trainer ids that differ only in '.' and '_', the second written by other means
        trainerAdmin.put(spec("team.a", Map.of()));
        producer.send(
            new ProducerRecord<>(
                trainers, "team_a", serdes.serialize(trainers, spec("team_a", Map.of()))));
        producer.flush();
        assertThat(
                deadLetters
                    .await("batch-topic-collision", l -> "team_a".equals(l.getRecordId()))
                    .getError())
            .contains("collides");
        assertThat(topicNames(admin)).doesNotContain(topics.batchTopic("team_a"));
        controlKeepsGoing(control, "colliding trainer ids");

        // 5. an operator deletes one trainer's batch topic
        trainerAdmin.put(spec("victim", Map.of()));
        String victimTopic = topics.batchTopic("victim");
        await("the victim's topic", () -> topicNames(admin).contains(victimTopic));
        // the provisioner has seen it ready once a batch of the victim's is in it
        await("a batch in the victim's topic", () -> recordsIn(admin, victimTopic) > 0);
        admin.deleteTopics(List.of(victimTopic)).all().get(60, TimeUnit.SECONDS);
        deadLetters.await("batch-topic-missing", l -> "victim".equals(l.getRecordId()));
        await("the victim's topic again", () -> topicNames(admin).contains(victimTopic));
        controlKeepsGoing(control, "a deleted batch topic");

        // 6. an example with 10,000 group attributes
        Map<String, String> groups = new HashMap<>();
        for (int i = 0; i < 10_000; i++) {
          groups.put("g" + i, "v");
        }
        TrainingExample many =
            TrainingExample.newBuilder()
                .setId("many")
                .setText("many groups")
                .setGroups(groups)
                .build();
        producer.send(new ProducerRecord<>(examples, "many", serdes.serialize(examples, many)));
        producer.flush();
        deadLetters.await("too-many-groups", l -> "many".equals(l.getRecordId()));
        controlKeepsGoing(control, "10,000 group attributes");

        // 7. a finite loss of 1e308, and a misspelled policy parameter
        control.hugeLossNext.set(true);
        deadLetters.await("loss-out-of-range", l -> l.getError().contains("1.0E308"));
        trainerAdmin.put(spec("typo", Map.of("ucb.alpah", "0.5")));
        assertThat(
                deadLetters.await("unknown-params", l -> "typo".equals(l.getRecordId())).getError())
            .contains("ucb.alpha");
        controlKeepsGoing(control, "a huge loss and a typo");
        assertThat(topicNames(admin))
            .as("no topic for a rejected spec")
            .doesNotContain(topics.batchTopic("typo"), topics.batchTopic("forged"));

        // 8. a real stall: with the dead-letter topic gone, the task's producer waits for it on a
        // bad record's dead letter and Kafka Streams retries the task (task.timeout.ms) instead
        // of failing its thread; the task commits nothing while its input waits
        assertThat(health(http, service.probeUrl()).statusCode()).isEqualTo(200);
        admin.deleteTopics(List.of(topics.deadLetters().name())).all().get(60, TimeUnit.SECONDS);
        await(
            "the dead-letter topic deleted",
            () -> !topicNames(admin).contains(topics.deadLetters().name()));
        producer.send(new ProducerRecord<>(examples, "stall", new byte[] {9, 9, 9}));
        producer.flush();
        // a starved trainer may turn /health DOWN first (the blocked thread serves it too), and
        // the thread's other tasks, whose input (the control trainer's feedback) kept arriving,
        // run out of time before the examples task, whose clock starts with the stalled record:
        // wait until the examples task and its thread are named as well
        await(
            "/health 503 naming the stuck task and its thread",
            () -> {
              String body = downBody(http, service);
              return body != null
                  && body.contains(examples + "-")
                  && body.contains("committed nothing since")
                  && body.contains("has neither polled");
            });
        HttpResponse<String> stuck = health(http, service.probeUrl());
        assertThat(stuck.statusCode()).isEqualTo(503);
        // both views name it: the examples partition holding the record, and its blocked thread
        assertThat(stuck.body())
            .contains(examples + "-", "committed nothing since", "has neither polled")
            .doesNotContain("failures in");
        LOG.info("/health during the stall: {}", stuck.body());

        // and once the operator recreates the topic, the record is dead-lettered and health returns
        try (TopicAdmin topicAdmin = new TopicAdmin(config)) {
          topicAdmin.ensureRequired(topics);
        }
        await("/health 200 after the stall", () -> status(http, service) == 200);
        try (DeadLetterWatch recreated =
            new DeadLetterWatch(bootstrap, topics.deadLetters().name())) {
          // the recreated topic holds only what was written since: the stalled record's letter
          recreated.await("undeserializable", l -> examples.equals(l.getTopic()));
        }
        controlKeepsGoing(control, "the stall");
      }
    }
  }

  /** The body of {@code /health} when it answers 503, else null. */
  private static String downBody(HttpClient http, SieveService service) {
    try {
      HttpResponse<String> h =
          http.send(
              HttpRequest.newBuilder(service.probeUrl().resolve("/health"))
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return h.statusCode() == 503 ? h.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static int status(HttpClient http, SieveService service) {
    try {
      return http.send(
              HttpRequest.newBuilder(service.probeUrl().resolve("/health"))
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** Records in all partitions of {@code topic}, or 0 while it cannot be described. */
  private static long recordsIn(Admin admin, String topic) {
    try {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (TopicPartitionInfo p :
          admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()) {
        latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
      }
      long total = 0;
      for (var e : admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values()) {
        total += e.offset();
      }
      return total;
    } catch (Exception e) {
      return 0;
    }
  }

  private static java.util.Set<String> topicNames(Admin admin) {
    try {
      return admin.listTopics().names().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static TrainerSpec spec(String id, Map<String, String> params) {
    return TrainerSpec.newBuilder()
        .setTrainerId(id)
        .setPolicy(params.isEmpty() ? "uniform" : "ucb")
        .setBatchSize(8)
        .setWindow(2)
        .setParams(new HashMap<>(params))
        .build();
  }
}
