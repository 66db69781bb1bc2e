package io.sieve.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.app.SieveService;
import io.sieve.app.TrainerAdmin;
import io.sieve.avro.TrainerSpec;
import io.sieve.config.SieveConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python trainer of {@code examples/python-trainer} (its client module on Debian's
 * python3-confluent-kafka) against Sieve on the embedded broker and registry. Skipped when {@code
 * /usr/bin/python3} cannot import confluent_kafka.
 */
@EnabledIf(
    value = "pythonHasModules",
    disabledReason =
        "the interpreter cannot import confluent_kafka (install python3-confluent-kafka)")
class PythonTrainerIT {

  /** Debian's interpreter, where its python3-* packages go; -Dsieve.python to try another. */
  static final Path PYTHON = Path.of(System.getProperty("sieve.python", "/usr/bin/python3"));

  static final int BATCHES = 6;
  static final int WINDOW = 2;

  @RegisterExtension static final PerClassStack STACK = new PerClassStack();
  static SieveScenarios scenarios;

  @TempDir Path temp;

  @BeforeAll
  static void scenariosOnTheStack() {
    scenarios = new SieveScenarios(STACK.addresses());
  }

  static boolean pythonHasModules() throws Exception {
    if (!Files.isExecutable(PYTHON)) {
      return false;
    }
    Process p =
        new ProcessBuilder(PYTHON.toString(), "-c", "import confluent_kafka")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
  }

  @Test
  void shouldServeAPythonTrainerThatAcknowledgesEveryBatch() throws Exception {
    SieveConfig config = scenarios.config("python", temp.resolve("state"));
    try (SieveService service = new SieveService(config).start()) {
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      // Given examples in the pool and a trainer with a window of 2 batches
      scenarios.produceExamples(service.topics(), "py", 200, new Random(7));
      SieveScenarios.declare(config, service.topics(), "t-python", "uniform", 10, WINDOW);

      // When the Python trainer runs for 6 batches
      Path log = temp.resolve("trainer.log");
      Path script = repoRoot().resolve("examples/python-trainer/trainer.py");
      Process trainer =
          new ProcessBuilder(
                  PYTHON.toString(),
                  script.toString(),
                  "--bootstrap-servers",
                  STACK.kafka().bootstrapServers(),
                  "--schema-registry-url",
                  STACK.registry().url(),
                  "--trainer",
                  "t-python",
                  "--batches-prefix",
                  config.getString(SieveConfig.TOPIC_BATCHES_PREFIX_CONFIG),
                  "--feedback-topic",
                  config.getString(SieveConfig.TOPIC_FEEDBACK_CONFIG),
                  "--batches",
                  Integer.toString(BATCHES),
                  "--timeout",
                  "180")
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      boolean ended = trainer.waitFor(240, TimeUnit.SECONDS);
      if (!ended) {
        trainer.destroyForcibly();
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);

      // Then it exits 0 having acknowledged 6 batches
      assertThat(ended).as("trainer ended; output:%n%s", output).isTrue();
      assertThat(trainer.exitValue()).as("exit code; output:%n%s", output).isZero();
      assertThat(output).contains("acknowledged=" + BATCHES);
      // and Sieve saw the acknowledgements: it wrote more batches than the window allows without
      long written = committedRecords(config.batchTopic("t-python"));
      assertThat(written).isGreaterThanOrEqualTo(BATCHES).isGreaterThan(WINDOW);
      // and no feedback of the trainer was dead-lettered
      assertThat(service.metrics().deadLettersByReason())
          .doesNotContainKeys("unknown-batch", "unknown-trainer", "tombstone", "undeserializable");
    }
  }

  @Test
  void shouldServeEachRankOfADataParallelPythonTrainerItsShard() throws Exception {
    SieveConfig config = scenarios.config("python-ranks", temp.resolve("state"));
    try (SieveService service = new SieveService(config).start()) {
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      // Given examples in the pool and a trainer of 2 ranks, batches of 10
      scenarios.produceExamples(service.topics(), "pr", 200, new Random(8));
      new TrainerAdmin(config, service.topics())
          .put(
              TrainerSpec.newBuilder()
                  .setTrainerId("t-ranks")
                  .setBatchSize(10)
                  .setWindow(WINDOW)
                  .setSeed(5)
                  .setRanks(2)
                  .build());

      // When one Python process per rank runs for 6 batches, rank 0 acknowledging them
      Process rank1 =
          trainer(config, "t-ranks", temp.resolve("rank1.log"), "--rank", "1", "--ranks", "2");
      Process rank0 =
          trainer(config, "t-ranks", temp.resolve("rank0.log"), "--rank", "0", "--ranks", "2");
      String out0 = finish(rank0, temp.resolve("rank0.log"));
      String out1 = finish(rank1, temp.resolve("rank1.log"));

      // Then each read its own shard of every batch, 5 of 10, and rank 0 acknowledged 6
      assertThat(out0).contains("acknowledged=" + BATCHES).contains("rank=0/2 size=5/10");
      assertThat(out0).doesNotContain("rank=1/2");
      assertThat(out1).contains("committed=" + BATCHES).contains("rank=1/2 size=5/10");
      assertThat(out1).doesNotContain("rank=0/2");
      assertThat(out0).contains("stale=0");
      assertThat(out1).contains("stale=0");
      // and one feedback per batch: none was refused
      assertThat(service.metrics().deadLettersByReason())
          .doesNotContainKeys("late-feedback", "unknown-batch", "unknown-trainer");
    }
  }

  private static Process trainer(SieveConfig config, String id, Path log, String... extra)
      throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                PYTHON.toString(),
                repoRoot().resolve("examples/python-trainer/trainer.py").toString(),
                "--bootstrap-servers",
                STACK.kafka().bootstrapServers(),
                "--schema-registry-url",
                STACK.registry().url(),
                "--trainer",
                id,
                "--batches-prefix",
                config.getString(SieveConfig.TOPIC_BATCHES_PREFIX_CONFIG),
                "--feedback-topic",
                config.getString(SieveConfig.TOPIC_FEEDBACK_CONFIG),
                "--batches",
                Integer.toString(BATCHES),
                "--timeout",
                "180"));
    command.addAll(List.of(extra));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  /** Waits for a trainer process, asserts it exited 0, and returns its output. */
  private static String finish(Process trainer, Path log) throws Exception {
    boolean ended = trainer.waitFor(240, TimeUnit.SECONDS);
    if (!ended) {
      trainer.destroyForcibly();
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(ended).as("trainer ended; output:%n%s", output).isTrue();
    assertThat(trainer.exitValue()).as("exit code; output:%n%s", output).isZero();
    return output;
  }

  private static Path repoRoot() {
    return Path.of(System.getProperty("sieve.repo.root", "..")).toAbsolutePath().normalize();
  }

  /** Records on the topic that a read_committed consumer sees. */
  private long committedRecords(String topic) {
    try (KafkaConsumer<String, byte[]> c = scenarios.consumer(new StringDeserializer())) {
      List<TopicPartition> parts =
          c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long n = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (parts.stream().anyMatch(p -> c.position(p) < end.get(p))
          && System.nanoTime() < deadline) {
        n += c.poll(Duration.ofMillis(200)).count();
      }
      return n;
    }
  }
}
