package io.sieve.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.app.SieveService;
import io.sieve.app.TrainerAdmin;
import io.sieve.avro.BatchExample;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.policy.Exp3Policy;
import io.sieve.policy.GroupQuotas;
import io.sieve.serde.AvroSerdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An adaptive policy with a group constraint on a real broker and registry: feedback with cluster
 * and per-example losses goes round the loop (policy state, pool scores) while every batch keeps
 * its exact group target.
 */
class PoliciesIT {

  private static final int DIMENSION = 32;
  private static final String[][] WORDS = {
    {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"},
    {"apple", "banana", "cherry", "grape", "lemon", "mango", "peach", "plum"},
    {"anvil", "hammer", "chisel", "wrench", "pliers", "saw", "drill", "lathe"}
  };

  @RegisterExtension static final PerClassStack STACK = new PerClassStack();
  static AvroSerdes serdes;

  @TempDir Path temp;

  @BeforeAll
  static void serdesOverTheStacksRegistry() {
    serdes = STACK.serdes();
  }

  private SieveConfig config(String name) {
    Map<String, Object> props =
        ItConfigs.isolated(
            name, STACK.kafka().bootstrapServers(), STACK.registry().url(), temp.resolve("state"));
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, DIMENSION);
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 60);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 3);
    props.put(SieveConfig.CLUSTER_UPDATE_INTERVAL_CONFIG, 500L);
    props.put("streams.commit.interval.ms", 100);
    return new SieveConfig(props);
  }

  private static KafkaProducer<String, byte[]> producer() {
    return ItClients.producer(STACK.kafka().bootstrapServers());
  }

  @Test
  void shouldKeepExactGroupTargetsWhileFeedbackSteersExp3AndScoresThePool() throws Exception {
    SieveConfig config = config("policies");
    String trainer = "t-exp3";
    try (SieveService service = new SieveService(config).start();
        KafkaProducer<String, byte[]> producer = producer()) {
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      Topics topics = service.topics();
      // Given 240 examples over three topics, a third of them lang=de
      Random rng = new Random(0x5eed5eed5eedL);
      for (int i = 0; i < 240; i++) {
        int t = i % 3;
        StringBuilder text = new StringBuilder();
        for (int w = 0; w < 8; w++) {
          text.append(WORDS[t][rng.nextInt(WORDS[t].length)]).append(' ');
        }
        TrainingExample e =
            TrainingExample.newBuilder()
                .setId("p-" + i)
                .setText(text + "p-" + i)
                .setGroups(Map.of("lang", (i / 3) % 3 == 0 ? "de" : "en"))
                .build();
        producer.send(
            new ProducerRecord<>(
                topics.examples().name(),
                e.getId(),
                serdes.serialize(topics.examples().name(), e)));
      }
      producer.flush();
      // When an exp3 trainer with lang=de at exactly half asks for batches of 20
      new TrainerAdmin(config, topics)
          .put(
              TrainerSpec.newBuilder()
                  .setTrainerId(trainer)
                  .setPolicy(Exp3Policy.NAME)
                  .setBatchSize(20)
                  .setWindow(1)
                  .setSeed(5)
                  .setParams(Map.of(GroupQuotas.TARGETS, "lang=de:0.5"))
                  .build());
      // and acknowledges each with a loss per cluster and per example
      List<TrainingBatch> batches = new ArrayList<>();
      String batchTopic = topics.batchTopic(trainer);
      try (KafkaConsumer<String, byte[]> consumer =
          ItClients.batchConsumer(
              STACK.kafka().bootstrapServers(), config.applicationId() + "-" + trainer)) {
        consumer.subscribe(List.of(batchTopic));
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (batches.size() < 25 && System.nanoTime() < deadline) {
          for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            TrainingBatch b = serdes.deserialize(batchTopic, r.value(), TrainingBatch.class);
            batches.add(b);
            Map<String, Double> clusterLosses = new TreeMap<>();
            Map<String, Double> exampleLosses = new TreeMap<>();
            for (BatchExample e : b.getExamples()) {
              clusterLosses.put(Integer.toString(e.getClusterId()), 1.0 + e.getClusterId() % 2);
              exampleLosses.put(e.getId(), 0.5 + e.getId().length() / 10.0);
            }
            TrainerFeedback fb =
                TrainerFeedback.newBuilder()
                    .setTrainerId(trainer)
                    .setBatchId(b.getBatchId())
                    .setClusterLosses(clusterLosses)
                    .setExampleLosses(exampleLosses)
                    .build();
            String feedbackTopic = topics.feedback().name();
            producer.send(
                new ProducerRecord<>(feedbackTopic, trainer, serdes.serialize(feedbackTopic, fb)));
          }
          consumer.commitSync();
          producer.flush();
        }
      }
      // Then every batch is whole, holds no example twice, and is exactly half de
      assertThat(batches).hasSizeGreaterThanOrEqualTo(25);
      for (TrainingBatch b : batches) {
        assertThat(b.getComplete()).isTrue();
        assertThat(b.getExamples().stream().map(BatchExample::getId).distinct().count())
            .isEqualTo(20);
        assertThat(b.getGroupCounts()).containsEntry("lang=de", 10).containsEntry("lang=en", 10);
      }
      // and no example repeats within its (cluster, value) cycle, which the pool keeps per trainer
      Map<String, List<String>> byCycle = new TreeMap<>();
      for (TrainingBatch b : batches) {
        for (BatchExample e : b.getExamples()) {
          byCycle
              .computeIfAbsent(
                  e.getClusterId() + "/" + e.getGroups().get("lang") + "#" + e.getCycle(),
                  k -> new ArrayList<>())
              .add(e.getId());
        }
      }
      byCycle.forEach((cycle, ids) -> assertThat(ids).as(cycle).doesNotHaveDuplicates());
      // (250 de draws over the 80 de: some value's cycle ended and a next one began)
      assertThat(byCycle.keySet()).anySatisfy(k -> assertThat(k).endsWith("#1"));
      // and the feedback went round: rounds and policy-state versions advance, pool scores arrive
      TrainingBatch last = batches.get(batches.size() - 1);
      assertThat(last.getRound()).isGreaterThanOrEqualTo(20);
      assertThat(last.getPolicyStateVersion())
          .isGreaterThan(batches.get(0).getPolicyStateVersion());
      assertThat(batches.subList(10, batches.size()))
          .anySatisfy(
              b ->
                  assertThat(b.getExamples())
                      .anySatisfy(e -> assertThat(e.getScore()).isNotNull()));
    }
  }
}
