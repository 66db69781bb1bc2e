package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The newcomer's path, as the README tells it: {@code sieve local} on a fresh directory (a child
 * process, as a user runs it), {@code sieve ingest} of the shipped JSONL, {@code sieve trainer
 * put}, the Python trainer receiving batches and acknowledging them; then Ctrl-C (SIGTERM) and a
 * second {@code sieve local} on the same directory, which finds the pool and the trainer as they
 * were. The Python steps run when {@code /usr/bin/python3} has python3-confluent-kafka; without it
 * {@code sieve tail} shows that batches came.
 */
class LocalIT {

  static final Path PYTHON = Path.of(System.getProperty("sieve.python", "/usr/bin/python3"));
  static final String TRAINER = "newcomer";
  static final Duration START_TIMEOUT = Duration.ofSeconds(240);

  @TempDir Path temp;

  private final List<Process> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  @AfterEach
  void stopLeftovers() throws InterruptedException {
    for (Process p : started) {
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void shouldTakeANewcomerFromLocalToAcknowledgedBatchesAndResumeAfterARestart() throws Exception {
    Path dir = temp.resolve("sieve-local");
    Path sample = repoRoot().resolve("examples/data/sample.jsonl");
    long lines = Files.readAllLines(sample).size();

    // Given a fresh `sieve local`
    Local first = startLocal(dir, "first");
    assertThat(first.stdout()).contains("Next, in another terminal:").doesNotContain("Resumed");
    Path config = dir.resolve(LocalCommand.CLIENT_CONFIG);
    Properties client = properties(config);

    // When the newcomer ingests the shipped file and declares a trainer, with the commands printed
    CliRunner.Result ingest =
        CliRunner.run("ingest", "--config", config.toString(), "--file", sample.toString());
    assertThat(ingest.code()).as(ingest.err()).isZero();
    assertThat(ingest.out()).contains(lines + " examples sent");
    CliRunner.Result put =
        CliRunner.run(
            "trainer",
            "put",
            "--config",
            config.toString(),
            "--id",
            TRAINER,
            "--policy",
            "cluster-balanced",
            "--batch-size",
            "16");
    assertThat(put.code()).as(put.err()).isZero();

    // Then the pool fills and batches come
    String rest = first.restUrl();
    long pooled = awaitPooled(rest, Duration.ofSeconds(120));
    assertThat(pooled).isPositive().isLessThanOrEqualTo(lines);
    String firstRun = consumeBatches(config, 4, dir.resolve("trainer-1.txt"));
    long lastSequence = lastSequence(firstRun);
    assertThat(lastSequence).isGreaterThanOrEqualTo(3);

    // and the console showed Sieve's own progress, with Kafka's logs in the file it named
    Path log = dir.resolve("logs/sieve.log");
    assertThat(first.stdout()).contains(log.toString());
    assertThat(Files.size(log)).isPositive();
    assertThat(first.stderr()).doesNotContain("o.a.k.").doesNotContain("org.apache.kafka");
    assertThat(first.stderr().lines().filter(l -> l.contains(" WARN ") || l.contains("ERROR")))
        .isEmpty();

    // When it is stopped with SIGTERM (Ctrl-C)
    long pooledBefore = awaitPooled(rest, Duration.ofSeconds(30));
    first.stop();

    // Then a second `sieve local` on the directory resumes with the pool and the trainer
    Local second = startLocal(dir, "second");
    assertThat(second.stdout())
        .containsPattern("Resumed: " + pooledBefore + " examples pooled in \\d+ clusters")
        .contains("trainers: " + TRAINER);
    // on the same addresses, since they were free
    Properties again = properties(config);
    assertThat(again.getProperty("bootstrap.servers"))
        .isEqualTo(client.getProperty("bootstrap.servers"));
    assertThat(again.getProperty("schema.registry.url"))
        .isEqualTo(client.getProperty("schema.registry.url"));
    JsonNode trainer = get(second.restUrl() + "/trainers/" + TRAINER);
    assertThat(trainer.path("spec").path("batchSize").asInt()).isEqualTo(16);
    assertThat(awaitPooled(second.restUrl(), Duration.ofSeconds(30))).isEqualTo(pooledBefore);
    // and the trainer goes on after the batches it acknowledged, its schemas still known
    String secondRun = consumeBatches(config, 2, dir.resolve("trainer-2.txt"));
    assertThat(lastSequence(secondRun)).isGreaterThan(lastSequence);
    second.stop();
  }

  /** Reads n batches with the Python trainer, or with `sieve tail` when Python cannot. */
  private String consumeBatches(Path config, int n, Path output) throws Exception {
    if (pythonHasConfluentKafka()) {
      Process p =
          new ProcessBuilder(
                  PYTHON.toString(),
                  repoRoot().resolve("examples/python-trainer/trainer.py").toString(),
                  "--config",
                  config.toString(),
                  "--trainer",
                  TRAINER,
                  "--batches",
                  Integer.toString(n),
                  "--eval-every",
                  "2",
                  "--timeout",
                  "120")
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      started.add(p);
      boolean ended = p.waitFor(180, TimeUnit.SECONDS);
      String text = Files.readString(output);
      assertThat(ended).as("the trainer ended:%n%s", text).isTrue();
      assertThat(p.exitValue()).as(text).isZero();
      assertThat(text).contains("acknowledged=" + n).contains("evaluation-round=0");
      return text;
    }
    CliRunner.Result tail =
        CliRunner.run(
            "tail",
            "--config",
            config.toString(),
            "--trainer",
            TRAINER,
            "--from-beginning",
            "--max",
            Integer.toString(n),
            "--timeout",
            "120s");
    assertThat(tail.code()).as(tail.err()).isZero();
    return tail.out();
  }

  private static long lastSequence(String output) {
    Matcher m = Pattern.compile("seq=(\\d+)").matcher(output);
    long last = -1;
    while (m.find()) {
      last = Math.max(last, Long.parseLong(m.group(1)));
    }
    return last;
  }

  /** The pool's size from the REST API once it holds examples and stopped changing. */
  private long awaitPooled(String rest, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    long previous = -1;
    while (true) {
      long total = 0;
      for (JsonNode c : get(rest + "/clusters").path("clusters")) {
        total += c.path("size").asLong();
      }
      if (total > 0 && total == previous) {
        return total;
      }
      if (System.nanoTime() > deadline) {
        return total;
      }
      previous = total;
      Thread.sleep(1500);
    }
  }

  private JsonNode get(String url) throws Exception {
    for (int attempt = 1; ; attempt++) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
      // 503 while a store is restoring or rebalancing
      if (r.statusCode() == 200 || attempt >= 30) {
        assertThat(r.statusCode()).as("%s: %s", url, r.body()).isEqualTo(200);
        return json.readTree(r.body());
      }
      Thread.sleep(1000);
    }
  }

  private Local startLocal(Path dir, String name) throws Exception {
    boolean resuming = Files.exists(dir.resolve("kafka/logs/meta.properties"));
    Path out = temp.resolve(name + ".out");
    Path err = temp.resolve(name + ".err");
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xmx768m");
    command.add("--add-modules");
    command.add("jdk.incubator.vector");
    String registryDir = System.getProperty("sieve.registry.server.dir");
    if (registryDir != null) {
      command.add("-Dsieve.registry.server.dir=" + registryDir);
    }
    command.add("-Dsieve.home=" + repoRoot());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.sieve.cli.SieveCli");
    command.addAll(List.of("local", "--dir", dir.toString()));
    Process p =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    started.add(p);
    Local local = new Local(p, out, err);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!local.stdout().contains("resumes where it was")) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "sieve local did not start (alive: "
                + p.isAlive()
                + "):\n"
                + local.stdout()
                + "\n"
                + local.stderr());
      }
      Thread.sleep(250);
    }
    // the resume line follows the addresses
    if (resuming) {
      while (!local.stdout().contains("Resumed") && p.isAlive()) {
        Thread.sleep(250);
      }
    }
    return local;
  }

  private static Properties properties(Path file) throws IOException {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    return p;
  }

  static boolean pythonHasConfluentKafka() throws Exception {
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

  private static Path repoRoot() {
    return Path.of(System.getProperty("sieve.repo.root", "..")).toAbsolutePath().normalize();
  }

  /** A running `sieve local` and what it printed. */
  private record Local(Process process, Path out, Path err) {

    String stdout() throws IOException {
      return Files.readString(out, StandardCharsets.UTF_8);
    }

    String stderr() throws IOException {
      return Files.readString(err, StandardCharsets.UTF_8);
    }

    String restUrl() throws IOException {
      Matcher m = Pattern.compile("REST API, metrics: (\\S+)").matcher(stdout());
      assertThat(m.find()).as(stdout()).isTrue();
      return m.group(1);
    }

    /** SIGTERM, as Ctrl-C: the stack stops cleanly, then the process exits. */
    void stop() throws InterruptedException, IOException {
      process.destroy();
      boolean ended = process.waitFor(120, TimeUnit.SECONDS);
      assertThat(ended).as("stopped within 120 s:%n%s", stderr()).isTrue();
    }
  }
}
