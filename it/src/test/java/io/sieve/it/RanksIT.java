package io.sieve.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.app.SieveService;
import io.sieve.app.TopicAdmin;
import io.sieve.app.TrainerAdmin;
import io.sieve.avro.BatchExample;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.serde.AvroSerdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data-parallel trainer on a real broker: each rank reads only its own partition of the batch
 * topic and gets its shard of every batch; one rank acknowledges each batch. Restarted with more
 * ranks (the spec written straight to the trainers topic, so Sieve itself must grow the topic), the
 * new rank's partition gets its shards.
 */
class RanksIT {

  private static final int DIMENSION = 32;
  private static final String[][] WORDS = {
    {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"},
    {"apple", "banana", "cherry", "grape", "lemon", "mango", "peach", "plum"},
    {"anvil", "hammer", "chisel", "wrench", "pliers", "saw", "drill", "lathe"}
  };
  private static final String TRAINER = "t-ranks";
  private static final int BATCH = 12;

  @RegisterExtension static final PerClassStack STACK = new PerClassStack();
  static AvroSerdes serdes;

  @TempDir Path temp;

  @BeforeAll
  static void serdesOverTheStacksRegistry() {
    serdes = STACK.serdes();
  }

  private SieveConfig config() {
    Map<String, Object> props =
        ItConfigs.isolated(
            "ranks", STACK.kafka().bootstrapServers(), STACK.registry().url(), temp.resolve("s"));
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, DIMENSION);
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 60);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 3);
    props.put(SieveConfig.CLUSTER_UPDATE_INTERVAL_CONFIG, 500L);
    props.put("streams.commit.interval.ms", 100);
    return new SieveConfig(props);
  }

  private static TrainerSpec spec(int ranks) {
    return TrainerSpec.newBuilder()
        .setTrainerId(TRAINER)
        .setPolicy("uniform")
        .setBatchSize(BATCH)
        .setWindow(1)
        .setSeed(3)
        .setRanks(ranks)
        .build();
  }

  /** One rank's consumer: assigned its own partition only, from the start. */
  private static KafkaConsumer<String, byte[]> rank(String topic, int rank) {
    KafkaConsumer<String, byte[]> c =
        ItClients.batchConsumer(STACK.kafka().bootstrapServers(), "ranks-it-" + rank);
    TopicPartition p = new TopicPartition(topic, rank);
    c.assign(List.of(p));
    c.seekToBeginning(List.of(p));
    return c;
  }

  /** The next shard on a rank's partition, skipping those of sequences before {@code from}. */
  private static TrainingBatch next(KafkaConsumer<String, byte[]> c, String topic, long from) {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    List<TrainingBatch> buffered = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
        TrainingBatch b = serdes.deserialize(topic, r.value(), TrainingBatch.class);
        assertThat(r.partition()).isEqualTo(b.getRank());
        buffered.add(b);
      }
      for (TrainingBatch b : buffered) {
        if (b.getSequence() >= from) {
          // with a window of 1 a poll holds at most one new batch: nothing after it is dropped
          return b;
        }
      }
      buffered.clear();
    }
    throw new AssertionError("no shard of sequence >= " + from + " on " + c.assignment());
  }

  private static int partitions(String topic) throws Exception {
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.kafka().bootstrapServers()))) {
      return admin
          .describeTopics(List.of(topic))
          .allTopicNames()
          .get(30, TimeUnit.SECONDS)
          .get(topic)
          .partitions()
          .size();
    }
  }

  @Test
  void shouldServeEachRankItsOwnShardOnItsOwnPartition() throws Exception {
    SieveConfig config = config();
    try (SieveService service = new SieveService(config).start();
        KafkaProducer<String, byte[]> producer =
            ItClients.producer(STACK.kafka().bootstrapServers())) {
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      Topics topics = service.topics();
      for (int i = 0; i < 150; i++) {
        int t = i % 3;
        StringBuilder text = new StringBuilder();
        for (int w = 0; w < 6; w++) {
          text.append(WORDS[t][(i * 7 + w * 3) % WORDS[t].length]).append(' ');
        }
        TrainingExample e =
            TrainingExample.newBuilder().setId("r-" + i).setText(text + "r-" + i).build();
        String name = topics.examples().name();
        producer.send(new ProducerRecord<>(name, e.getId(), serdes.serialize(name, e)));
      }
      producer.flush();
      String topic = topics.batchTopic(TRAINER);
      String feedback = topics.feedback().name();

      // Given a trainer with 2 ranks and a window of 1 (its topic made with a partition per rank)
      new TrainerAdmin(config, topics).put(spec(2));
      assertThat(partitions(topic)).isEqualTo(2);

      // When each rank reads only its partition, and rank 0 alone acknowledges each batch
      try (KafkaConsumer<String, byte[]> rank0 = rank(topic, 0);
          KafkaConsumer<String, byte[]> rank1 = rank(topic, 1)) {
        for (long seq = 0; seq < 3; seq++) {
          TrainingBatch a = next(rank0, topic, seq);
          TrainingBatch b = next(rank1, topic, seq);

          // Then both hold the same batch, as rank 0 and rank 1 of 2, 6 examples each, disjoint
          assertThat(a.getSequence()).isEqualTo(seq).isEqualTo(b.getSequence());
          assertThat(a.getBatchId()).isEqualTo(b.getBatchId());
          assertThat(List.of(a.getRank(), b.getRank())).containsExactly(0, 1);
          assertThat(List.of(a.getRanks(), b.getRanks())).containsExactly(2, 2);
          Set<String> union = new HashSet<>(ids(a));
          union.addAll(ids(b));
          assertThat(ids(a)).hasSize(BATCH / 2);
          assertThat(ids(b)).hasSize(BATCH / 2);
          assertThat(union).hasSize(BATCH);
          TrainerFeedback fb =
              TrainerFeedback.newBuilder()
                  .setTrainerId(TRAINER)
                  .setBatchId(a.getBatchId())
                  .setExampleLosses(losses(a))
                  .build();
          producer.send(new ProducerRecord<>(feedback, TRAINER, serdes.serialize(feedback, fb)));
          producer.flush();
        }
      }

      // When the trainer comes back with 3 ranks, its spec written straight to the trainers topic
      String trainers = topics.trainers().name();
      producer.send(new ProducerRecord<>(trainers, TRAINER, serdes.serialize(trainers, spec(3))));
      producer.flush();

      // Then Sieve grows the topic to 3 partitions (never shrinks it) and the new rank's
      // partition gets its shard of the next batch: 4 of 12, rank 2 of 3
      try (KafkaConsumer<String, byte[]> rank2 = rank(topic, 2)) {
        TrainingBatch c = next(rank2, topic, 3);
        assertThat(c.getRank()).isEqualTo(2);
        assertThat(c.getRanks()).isEqualTo(3);
        assertThat(ids(c)).hasSize(BATCH / 3);
      }
      assertThat(partitions(topic)).isEqualTo(3);

      // and back at 2 ranks the topic keeps its 3 partitions
      try (TopicAdmin admin = new TopicAdmin(config)) {
        assertThat(admin.ensureBatchTopic(TRAINER, 2)).isEqualTo(3);
      }
    }
  }

  private static List<String> ids(TrainingBatch b) {
    return b.getExamples().stream().map(BatchExample::getId).toList();
  }

  private static Map<String, Double> losses(TrainingBatch b) {
    Map<String, Double> out = new TreeMap<>();
    b.getExamples().forEach(e -> out.put(e.getId(), 1.0));
    return out;
  }
}
