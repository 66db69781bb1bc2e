package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sieve.app.SieveService;
import io.sieve.avro.BatchExample;
import io.sieve.avro.TrainerControl;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.it.PerClassStack;
import io.sieve.it.SieveScenarios;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The tool commands against a real broker (in-process) and a real schema registry. */
class CliIT {

  @RegisterExtension static final PerClassStack STACK = new PerClassStack();
  static SieveScenarios scenarios;

  @TempDir Path temp;

  @BeforeAll
  static void scenariosOnTheStack() {
    scenarios = new SieveScenarios(STACK.addresses());
  }

  /** A properties file with the test's own topic names; with or without the addresses. */
  private Path configFile(Map<String, Object> props, boolean withAddresses) throws Exception {
    Properties p = new Properties();
    props.forEach((k, v) -> p.setProperty(k, v.toString()));
    if (!withAddresses) {
      p.remove(SieveConfig.BOOTSTRAP_SERVERS_CONFIG);
      p.remove(SieveConfig.SCHEMA_REGISTRY_URL_CONFIG);
    }
    Path file = Files.createTempFile(temp, "sieve", ".properties");
    try (OutputStream out = Files.newOutputStream(file)) {
      p.store(out, null);
    }
    return file;
  }

  @Test
  void shouldIngestGoodLinesAndReportBadOnesWithLineNumbersAndReasons() throws Exception {
    // Given a file of 3 good lines and 2 bad ones (line 2 is not JSON, line 5 has no id)
    Map<String, Object> props = scenarios.properties("ingest", temp.resolve("state"));
    Path config = configFile(props, true);
    Path file = temp.resolve("examples.jsonl");
    Files.writeString(
        file,
        String.join(
            "\n",
            "{\"id\": \"a1\", \"text\": \"the first example\", \"groups\": {\"lang\": \"en\"}}",
            "{\"id\": \"a2\", \"text\": ",
            "{\"id\": \"a3\", \"text\": \"the third example\", \"score\": 0.5}",
            "{\"id\": \"a4\", \"embedding\": [0.1, 0.2, 0.3]}",
            "{\"text\": \"no id here\"}",
            ""));
    Path rejects = temp.resolve("rejects.txt");

    // When it is ingested
    CliRunner.Result result =
        CliRunner.run(
            "ingest",
            "--config",
            config.toString(),
            "--file",
            file.toString(),
            "--rejects",
            rejects.toString());

    // Then the 3 good lines are on the examples topic, keyed by id, in the wire format
    String topic = props.get(SieveConfig.TOPIC_EXAMPLES_CONFIG).toString();
    List<ConsumerRecord<String, byte[]>> records = readAll(topic);
    assertThat(records).extracting(ConsumerRecord::key).containsExactlyInAnyOrder("a1", "a3", "a4");
    for (ConsumerRecord<String, byte[]> r : records) {
      TrainingExample e = scenarios.serdes().deserialize(topic, r.value(), TrainingExample.class);
      assertThat(e.getId()).isEqualTo(r.key());
    }
    // and the report lists lines 2 and 5 with their reasons, printed and written to the file
    assertThat(result.out())
        .contains("line 2: bad-json: ")
        .contains("line 5: missing-id: no \"id\"")
        .contains("5 lines, 3 examples sent to " + topic + ", 2 rejected");
    assertThat(Files.readAllLines(rejects))
        .hasSize(2)
        .satisfiesExactly(
            l -> assertThat(l).startsWith("line 2: bad-json: "),
            l -> assertThat(l).isEqualTo("line 5: missing-id: no \"id\""));
    // and the exit code says some lines were rejected
    assertThat(result.code()).isEqualTo(1);
  }

  @Test
  void shouldExitZeroOnRejectsWhenAllowed() throws Exception {
    // Given a file with one good line and one of the wrong type
    Path config = configFile(scenarios.properties("allow", temp.resolve("state")), true);
    Path file = temp.resolve("examples.jsonl");
    Files.writeString(
        file, "{\"id\": \"b1\", \"text\": \"fine\"}\n{\"id\": \"b2\", \"text\": 3}\n");
    // When it is ingested with --allow-rejects
    CliRunner.Result result =
        CliRunner.run(
            "ingest", "--config", config.toString(), "--file", file.toString(), "--allow-rejects");
    // Then the reject is reported but the command succeeds
    assertThat(result.out()).contains("line 2: wrong-type: \"text\" must be a string, got number");
    assertThat(result.code()).isZero();
  }

  @Test
  void shouldCreateRequiredTopicsOnceAndReportThemAsExistingAfterwards() throws Exception {
    // Given a configuration with topic names of its own and 2 partitions
    Map<String, Object> props = scenarios.properties("topics", temp.resolve("state"));
    props.put(SieveConfig.TOPIC_PARTITIONS_CONFIG, 2);
    Path config = configFile(props, true);
    // When topics create runs twice
    CliRunner.Result first = CliRunner.run("topics", "create", "--config", config.toString());
    CliRunner.Result second = CliRunner.run("topics", "create", "--config", config.toString());
    // Then the first creates all seven and the second finds them
    assertThat(first.code()).isZero();
    assertThat(second.code()).isZero();
    assertThat(first.out()).contains("8 created, 0 existed");
    assertThat(second.out()).contains("0 created, 8 existed");
    String trainers = props.get(SieveConfig.TOPIC_TRAINERS_CONFIG).toString();
    String centroids = props.get(SieveConfig.TOPIC_CENTROIDS_CONFIG).toString();
    assertThat(first.out())
        .contains("created " + trainers + " partitions=2 replication=1 {cleanup.policy=compact}");
    assertThat(second.out()).contains("exists  " + trainers + "\n");
    // and the topics have their partitions and compaction
    try (Admin admin = STACK.kafka().newAdmin()) {
      Map<String, TopicDescription> d =
          admin
              .describeTopics(List.of(trainers, centroids))
              .allTopicNames()
              .get(30, TimeUnit.SECONDS);
      assertThat(d.get(trainers).partitions()).hasSize(2);
      assertThat(d.get(centroids).partitions()).hasSize(1);
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, trainers);
      Config c =
          admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
      assertThat(c.get(TopicConfig.CLEANUP_POLICY_CONFIG).value())
          .isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
    }
  }

  @Test
  void shouldPutListAndDeleteTrainersGivenAddressesOnTheCommandLine() throws Exception {
    // Given a config file without addresses, which come as options instead
    Map<String, Object> props = scenarios.properties("trainers", temp.resolve("state"));
    Path config = configFile(props, false);
    String[] conn = {
      "--config", config.toString(),
      "--bootstrap-servers", STACK.kafka().bootstrapServers(),
      "--schema-registry-url", STACK.registry().url()
    };
    // When two trainers are put and the first is deleted
    CliRunner.Result putA =
        CliRunner.run(
            concat(
                new String[] {
                  "trainer",
                  "put",
                  "--id",
                  "tr-a",
                  "--policy",
                  "cluster-balanced",
                  "--batch-size",
                  "32",
                  "--window",
                  "3",
                  "--seed",
                  "9",
                  "--ids-only",
                  "--param",
                  "group.targets=lang=en:0.5",
                  "--param",
                  "group.targets.mode=expected"
                },
                conn));
    CliRunner.Result putB =
        CliRunner.run(concat(new String[] {"trainer", "put", "--id", "tr-b"}, conn));
    CliRunner.Result listBoth = CliRunner.run(concat(new String[] {"trainer", "list"}, conn));
    CliRunner.Result delete =
        CliRunner.run(concat(new String[] {"trainer", "delete", "--id", "tr-b"}, conn));
    CliRunner.Result listOne = CliRunner.run(concat(new String[] {"trainer", "list"}, conn));

    // Then each command succeeds, and list shows the live specs with everything put
    assertThat(List.of(putA.code(), putB.code(), listBoth.code(), delete.code(), listOne.code()))
        .containsOnly(0);
    String batches = props.get(SieveConfig.TOPIC_BATCHES_PREFIX_CONFIG).toString();
    String a =
        "tr-a policy=cluster-balanced batch-size=32 window=3 seed=9 ids-only"
            + " params={group.targets=lang=en:0.5, group.targets.mode=expected} topic="
            + batches
            + "tr-a";
    assertThat(putA.out()).contains("put " + a);
    assertThat(listBoth.out()).contains(a).contains("tr-b policy=uniform").contains("2 trainers");
    assertThat(listOne.out()).contains(a).doesNotContain("tr-b").contains("1 trainer");
    // and put made the batch topic
    try (Admin admin = STACK.kafka().newAdmin()) {
      Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      assertThat(names).contains(batches + "tr-a", batches + "tr-b");
    }
  }

  @Test
  void shouldWriteOperatorControlsOnTheControlsTopicKeyedByTrainer() throws Exception {
    // Given a declared trainer
    Map<String, Object> props = scenarios.properties("controls", temp.resolve("state"));
    Path config = configFile(props, true);
    String c = config.toString();
    assertThat(CliRunner.run("trainer", "put", "--config", c, "--id", "tr-c").code()).isZero();

    // When an operator pauses it, skips it to 9, quarantines lang=de and lifts cluster 2
    List<CliRunner.Result> results =
        List.of(
            CliRunner.run("trainer", "pause", "--config", c, "--id", "tr-c", "--reason", "disk"),
            CliRunner.run("trainer", "skip", "--config", c, "--id", "tr-c", "--to", "9"),
            CliRunner.run(
                "quarantine", "add", "--config", c, "--trainer", "tr-c", "--group", "lang=de"),
            CliRunner.run(
                "quarantine", "lift", "--config", c, "--trainer", "tr-c", "--cluster", "2"));

    // Then each succeeds and says where its control went
    String topic = props.get(SieveConfig.TOPIC_TRAINER_CONTROLS_CONFIG).toString();
    assertThat(results).allSatisfy(r -> assertThat(r.code()).as(r.err()).isZero());
    assertThat(results.get(1).out()).contains("tr-c: skip to 9").contains("written to " + topic);
    // and the topic holds the four controls, in order, keyed by the trainer, with their fields
    List<ConsumerRecord<String, byte[]>> records = readAll(topic);
    assertThat(records).extracting(ConsumerRecord::key).containsOnly("tr-c").hasSize(4);
    List<TrainerControl> controls =
        records.stream()
            .map(r -> scenarios.serdes().deserialize(topic, r.value(), TrainerControl.class))
            .toList();
    assertThat(controls)
        .extracting(TrainerControl::getAction)
        .containsExactly("pause", "skip", "quarantine", "lift");
    assertThat(controls.get(0).getReason()).isEqualTo("disk");
    assertThat(controls.get(0).getIssuedBy()).isEqualTo(System.getProperty("user.name"));
    assertThat(controls.get(1).getSequence()).isEqualTo(9L);
    assertThat(controls.get(2).getGroup()).isEqualTo("lang=de");
    assertThat(controls.get(3).getClusterId()).isEqualTo(2);
  }

  @Test
  void shouldTailATrainersBatchesOneLineEach() throws Exception {
    // Given a running Sieve with examples ingested through the CLI
    Map<String, Object> props = scenarios.properties("tail", temp.resolve("state"));
    Path config = configFile(props, true);
    SieveConfig sieveConfig = new SieveConfig(props);
    try (SieveService service = new SieveService(sieveConfig).start()) {
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      Path file = temp.resolve("examples.jsonl");
      Files.write(file, exampleLines(150), StandardCharsets.UTF_8);
      assertThat(
              CliRunner.run("ingest", "--config", config.toString(), "--file", file.toString())
                  .code())
          .isZero();
      // and a trainer with batches of 10 and a window of 2 (so two batches come without feedback)
      assertThat(
              CliRunner.run(
                      "trainer",
                      "put",
                      "--config",
                      config.toString(),
                      "--id",
                      "tr-tail",
                      "--batch-size",
                      "10",
                      "--window",
                      "2")
                  .code())
          .isZero();

      // When its batches are tailed from the beginning, at most 2
      CliRunner.Result tail =
          CliRunner.run(
              "tail",
              "--config",
              config.toString(),
              "--trainer",
              "tr-tail",
              "--from-beginning",
              "--max",
              "2",
              "--timeout",
              "120s");

      // Then there is one line per batch with sequence, size, completeness and shares (the two
      // batches may be written in either order: different tasks assemble them)
      assertThat(tail.code()).isZero();
      List<String> lines = tail.out().lines().sorted().toList();
      assertThat(lines).hasSize(2);
      assertThat(lines.get(0)).startsWith("seq=0 size=10/10 complete cycle=0 policy=uniform ");
      assertThat(lines.get(1)).startsWith("seq=1 size=10/10 complete cycle=0 policy=uniform ");
      assertThat(lines)
          .allSatisfy(
              l ->
                  assertThat(l)
                      .containsPattern(" clusters \\d+:\\d+%")
                      .containsPattern(" groups lang=\\w+:\\d+%")
                      .contains(" id=tr-tail-"));
    }
  }

  @Test
  void shouldPrintTheManifestOfABatchAsJsonAndFailClearlyForOneNeverWritten() throws Exception {
    // Given a running Sieve with examples ingested through the CLI
    Map<String, Object> props = scenarios.properties("manifest", temp.resolve("state"));
    props.put(SieveConfig.TOPIC_PARTITIONS_CONFIG, 2);
    Path config = configFile(props, true);
    SieveConfig sieveConfig = new SieveConfig(props);
    try (SieveService service = new SieveService(sieveConfig).start()) {
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      Path file = temp.resolve("examples.jsonl");
      Files.write(file, exampleLines(150), StandardCharsets.UTF_8);
      assertThat(
              CliRunner.run("ingest", "--config", config.toString(), "--file", file.toString())
                  .code())
          .isZero();
      // and a trainer whose window of 2 lets two batches of 10 come without feedback
      assertThat(
              CliRunner.run(
                      "trainer",
                      "put",
                      "--config",
                      config.toString(),
                      "--id",
                      "tr-man",
                      "--policy",
                      "cluster-balanced",
                      "--batch-size",
                      "10",
                      "--window",
                      "2")
                  .code())
          .isZero();
      String batchTopic = sieveConfig.batchTopic("tr-man");
      List<TrainingBatch> batches = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (batches.size() < 2 && System.nanoTime() < deadline) {
        batches.clear();
        for (ConsumerRecord<String, byte[]> r : readAll(batchTopic)) {
          batches.add(scenarios.serdes().deserialize(batchTopic, r.value(), TrainingBatch.class));
        }
        Thread.sleep(200);
      }
      assertThat(batches).hasSize(2);
      TrainingBatch batch =
          batches.stream().filter(b -> b.getSequence() == 1L).findFirst().orElseThrow();

      // and a record keyed by the trainer on the manifests topic that is not a manifest
      String manifests = props.get(SieveConfig.TOPIC_MANIFESTS_CONFIG).toString();
      try (KafkaProducer<String, byte[]> producer =
          new KafkaProducer<>(
              Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.kafka().bootstrapServers()),
              new StringSerializer(),
              new ByteArraySerializer())) {
        producer
            .send(
                new ProducerRecord<>(
                    manifests, "tr-man", "not avro".getBytes(StandardCharsets.UTF_8)))
            .get(30, TimeUnit.SECONDS);
      }

      // When the manifest of batch 1 is asked for
      CliRunner.Result result =
          CliRunner.run(
              "manifest", "--config", config.toString(), "--trainer", "tr-man", "--batch", "1");

      // Then it is printed as JSON and holds exactly that batch's header and examples
      assertThat(result.code()).as(result.err()).isZero();
      assertThat(result.err()).contains("skipped 1 record(s) keyed tr-man on ");
      JsonNode m = new ObjectMapper().readTree(result.out());
      assertThat(m.path("trainerId").asText()).isEqualTo("tr-man");
      assertThat(m.path("sequence").asLong()).isEqualTo(1L);
      assertThat(m.path("batchId").asText()).isEqualTo(batch.getBatchId());
      assertThat(m.path("policy").asText()).isEqualTo("cluster-balanced");
      assertThat(m.path("policyStateVersion").asLong()).isEqualTo(batch.getPolicyStateVersion());
      assertThat(m.path("seed").asLong()).isEqualTo(batch.getSeed());
      assertThat(m.path("complete").asBoolean()).isEqualTo(batch.getComplete());
      assertThat(m.path("createdAt").asText()).isEqualTo(batch.getAssembledAt().toString());
      JsonNode examples = m.path("examples");
      assertThat(examples.size()).isEqualTo(batch.getExamples().size()).isEqualTo(10);
      for (int i = 0; i < examples.size(); i++) {
        BatchExample e = batch.getExamples().get(i);
        JsonNode x = examples.get(i);
        assertThat(x.path("id").asText()).isEqualTo(e.getId());
        assertThat(x.path("clusterId").asInt()).isEqualTo(e.getClusterId());
        assertThat(x.path("cycle").asLong()).isEqualTo(e.getCycle());
        assertThat(x.path("groups").path("lang").asText()).isEqualTo(e.getGroups().get("lang"));
        assertThat(x.path("weight").asDouble()).isEqualTo(e.getWeight());
        assertThat(x.path("score").isNull()).isEqualTo(e.getScore() == null);
      }

      // When batch 7, never written (no feedback came), and a trainer never declared are asked
      CliRunner.Result missing =
          CliRunner.run(
              "manifest", "--config", config.toString(), "--trainer", "tr-man", "--batch", "7");
      CliRunner.Result nobody =
          CliRunner.run(
              "manifest", "--config", config.toString(), "--trainer", "nobody", "--batch", "0");

      // Then each exits 1, saying what was not found
      assertThat(missing.code()).isEqualTo(1);
      assertThat(missing.out()).isEmpty();
      assertThat(missing.err()).contains("no manifest of batch 7 of trainer tr-man on ");
      assertThat(nobody.code()).isEqualTo(1);
      assertThat(nobody.err()).contains("no manifest of batch 0 of trainer nobody on ");
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static String[] concat(String[] a, String[] b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Example lines on four themes, with a language group. */
  private static List<String> exampleLines(int n) {
    String[][] themes = {
      {"alpha", "beta", "gamma", "delta"}, {"apple", "banana", "cherry", "grape"},
      {"anvil", "hammer", "chisel", "wrench"}, {"river", "ocean", "lake", "creek"}
    };
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String[] t = themes[i % themes.length];
      String text = t[i % 4] + " " + t[(i / 4) % 4] + " " + t[(i / 16) % 4] + " item " + i;
      lines.add(
          "{\"id\": \"x-"
              + i
              + "\", \"text\": \""
              + text
              + "\", \"groups\": {\"lang\": \""
              + (i % 3 == 0 ? "de" : "en")
              + "\"}}");
    }
    return lines;
  }

  /** Every record on the topic, read to its current end. */
  private List<ConsumerRecord<String, byte[]>> readAll(String topic) {
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c = scenarios.consumer(new StringDeserializer())) {
      List<TopicPartition> parts =
          c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = new HashMap<>(c.endOffsets(parts));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (parts.stream().anyMatch(p -> c.position(p) < end.get(p))
          && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }
}
