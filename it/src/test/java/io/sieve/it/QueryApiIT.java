package io.sieve.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sieve.app.SieveService;
import io.sieve.app.TrainerAdmin;
import io.sieve.avro.BatchExample;
import io.sieve.avro.TrainerControl;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainerState;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.serde.AvroSerdes;
import io.sieve.stream.SieveMetrics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REST API and the Prometheus scrape of a running service on a real broker and a real schema
 * registry: clusters and trainers after traffic, the token, 503 while stores are not queryable,
 * queries routed between two instances, a dashboard that only asks for metrics that exist, and
 * operators' controls posted to the API.
 */
class QueryApiIT {

  private static final int DIMENSION = 32;
  private static final String TOKEN = "it-token-" + UUID.randomUUID();
  private static final Path DASHBOARD = Path.of("../deploy/grafana/sieve-dashboard.json");
  private static final String[][] WORDS = {
    {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"},
    {"apple", "banana", "cherry", "grape", "lemon", "mango", "peach", "plum"},
    {"anvil", "hammer", "chisel", "wrench", "pliers", "saw", "drill", "lathe"}
  };

  @RegisterExtension static final PerClassStack STACK = new PerClassStack();
  static AvroSerdes serdes;

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  @TempDir Path temp;

  @BeforeAll
  static void serdesOverTheStacksRegistry() {
    serdes = STACK.serdes();
  }

  private static Map<String, Object> props(String name, Path stateDir) {
    Map<String, Object> props =
        ItConfigs.isolated(
            name, STACK.kafka().bootstrapServers(), STACK.registry().url(), stateDir);
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, DIMENSION);
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 60);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 4);
    props.put(SieveConfig.CLUSTER_UPDATE_INTERVAL_CONFIG, 500L);
    props.put(SieveConfig.REST_ENABLED_CONFIG, true);
    props.put(SieveConfig.REST_PORT_CONFIG, 0);
    props.put(SieveConfig.REST_TOKEN_CONFIG, TOKEN);
    props.put(SieveConfig.REST_QUERY_TIMEOUT_CONFIG, 1000L);
    props.put("streams.commit.interval.ms", 100);
    return props;
  }

  @Test
  void shouldAnswer503WithRetryAfterWhileTheStoresAreNotQueryable() throws Exception {
    // Given a service whose REST API serves but whose streams app has not started
    SieveConfig config = new SieveConfig(props("not-running", temp.resolve("state")));
    try (SieveService service = new SieveService(config).startQueryServer()) {
      URI base = service.restUrl();

      // When its stores are queried
      HttpResponse<String> trainer = get(base, "/trainers/t1", TOKEN);
      HttpResponse<String> clusters = get(base, "/clusters", TOKEN);
      HttpResponse<String> batches = get(base, "/trainers/t1/batches", TOKEN);
      HttpResponse<String> ready = get(base, "/ready", TOKEN);
      HttpResponse<String> health = get(base, "/health", null);

      // Then each store query gives up with 503 and says when to retry, rather than waiting
      for (HttpResponse<String> r : List.of(trainer, clusters, batches)) {
        assertThat(r.statusCode()).as(r.uri().toString()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).as(r.uri().toString()).hasValue("1");
      }
      // and the instance is alive but not ready
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(json.readTree(ready.body()).get("state").asText()).isEqualTo("CREATED");
      assertThat(health.statusCode()).isEqualTo(200);
    }
  }

  @Test
  void shouldServeClustersTrainersBatchesAndMetricsOfARunningService() throws Exception {
    SieveConfig config = new SieveConfig(props("running", temp.resolve("state")));
    try (SieveService service = new SieveService(config).start()) {
      URI base = service.restUrl();
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();

      // Given 150 examples with a language group, a bad record, and a uniform trainer
      int n = 150;
      produceExamples(service.topics(), n);
      produceGarbage(service.topics());
      JsonNode clusters =
          poll(
              base,
              "/clusters",
              body ->
                  sum(body.get("clusters"), "size") == n && body.get("clusterCount").asInt() > 0);
      declare(config, service.topics(), "t1", 10);
      List<TrainingBatch> served = consumeAndAck(config, service.topics(), "t1", 4);

      // Then every cluster appears with its size, seen count, group counts and age
      assertThat(clusters.get("modelVersion").asLong()).isPositive();
      JsonNode first = clusters.get("clusters").get(0);
      assertThat(first.get("size").asLong()).isPositive();
      assertThat(first.get("seen").asLong()).isGreaterThanOrEqualTo(first.get("size").asLong());
      assertThat(first.get("groupCounts").fieldNames()).toIterable().isNotEmpty();
      assertThat(first.get("ageMs").asLong()).isNotNegative();
      HttpResponse<String> one = get(base, "/clusters/" + first.get("id").asInt(), TOKEN);
      assertThat(one.statusCode()).isEqualTo(200);
      assertThat(json.readTree(one.body()).get("size").asLong())
          .isEqualTo(first.get("size").asLong());
      assertThat(get(base, "/clusters/999999", TOKEN).statusCode()).isEqualTo(404);

      // and the trainer's state shows its spec, sequence and outstanding batches
      JsonNode trainer =
          poll(base, "/trainers/t1", body -> body.get("sequence").asLong() >= served.size());
      assertThat(trainer.get("spec").get("policy").asText()).isEqualTo("uniform");
      assertThat(trainer.get("spec").get("batchSize").asInt()).isEqualTo(10);
      assertThat(trainer.get("outstanding").size()).isLessThanOrEqualTo(2);
      assertThat(trainer.has("policyState")).isTrue();
      JsonNode all = json.readTree(get(base, "/trainers", TOKEN).body());
      assertThat(all.get("trainers").findValuesAsText("trainerId")).containsExactly("t1");
      assertThat(get(base, "/trainers/nobody", TOKEN).statusCode()).isEqualTo(404);

      // and its recent batches show their composition, newest first
      JsonNode recent =
          poll(base, "/trainers/t1/batches", body -> body.get("batches").size() >= served.size());
      JsonNode newest = recent.get("batches").get(0);
      assertThat(newest.get("size").asInt()).isEqualTo(10);
      assertThat(sum(newest.get("clusterCounts"))).isEqualTo(10);
      assertThat(newest.get("groupCounts").get("lang=en").asInt()).isPositive();
      assertThat(newest.get("clusterEntropyBits").asDouble()).isNotNegative();
      assertThat(recent.get("batches").get(0).get("sequence").asLong())
          .isGreaterThan(recent.get("batches").get(1).get("sequence").asLong());

      // and every endpoint but the probes, /health and /ready, wants the token
      for (String path : List.of("/clusters", "/trainers/t1", "/metrics")) {
        assertThat(get(base, path, null).statusCode()).as(path).isEqualTo(401);
        assertThat(get(base, path, "wrong").statusCode()).as(path).isEqualTo(401);
      }
      assertThat(get(base, "/health", null).statusCode()).isEqualTo(200);
      assertThat(get(base, "/ready", null).statusCode()).isEqualTo(200);

      // and the scrape has Sieve's figures, non-zero after traffic, and Kafka Streams' own
      String scrape = get(base, "/metrics", TOKEN).body();
      Files.writeString(Path.of("target/query-api-scrape.txt"), scrape);
      // (the undeserializable record never becomes an example: it is a dead letter instead)
      assertThat(value(scrape, "sieve_examples_in_total", "")).isEqualTo(n);
      assertThat(value(scrape, "sieve_examples_pooled_total", "")).isEqualTo(n);
      assertThat(value(scrape, "sieve_dead_letters_total", "reason=\"undeserializable\""))
          .isEqualTo(1);
      assertThat(value(scrape, "sieve_batches_total", "trainer=\"t1\"")).isPositive();
      assertThat(value(scrape, "sieve_batch_latency_seconds_count", "trainer=\"t1\"")).isPositive();
      assertThat(value(scrape, "sieve_batch_cluster_entropy_bits_count", "trainer=\"t1\""))
          .isPositive();
      assertThat(value(scrape, "sieve_clusters", "")).isPositive();
      assertThat(value(scrape, "sieve_pool_size", "cluster=")).isPositive();
      assertThat(value(scrape, "sieve_batch_share", "kind=\"group\"")).isPositive();
      assertThat(scrape).containsPattern("(?m)^kafka_stream_thread_\\w+\\{");

      // and every metric the Grafana dashboard queries is in a scrape of this instance, once the
      // hooks that only other features feed (share targets, policy state) have a value
      service.metrics().shareTarget("t1", SieveMetrics.GROUP, "lang=en", 0.5);
      service
          .metrics()
          .trainers(
              List.of(
                  TrainerState.newBuilder()
                      .setTrainerId("t1")
                      .setPolicyState(Map.of("weight.0", 0.25))
                      .build()));
      String full = service.metrics().scrape();
      Set<String> queried = dashboardMetrics();
      assertThat(queried).isNotEmpty();
      for (String metric : queried) {
        assertThat(full)
            .as("dashboard metric %s in the scrape", metric)
            .containsPattern("(?m)^" + Pattern.quote(metric) + "[{ ]");
      }
    }
  }

  @Test
  void shouldRouteTrainerQueriesToTheInstanceThatOwnsTheTrainer() throws Exception {
    // Given two instances of one application, each with its own REST API
    Map<String, Object> props = props("routed", temp.resolve("a"));
    SieveConfig configA = new SieveConfig(props);
    Map<String, Object> propsB = new HashMap<>(props);
    propsB.put(SieveConfig.STATE_DIR_CONFIG, temp.resolve("b").toString());
    SieveConfig configB = new SieveConfig(propsB);
    try (SieveService a = new SieveService(configA).start();
        SieveService b = new SieveService(configB).start()) {
      assertThat(a.awaitRunning(Duration.ofSeconds(90))).isTrue();
      assertThat(b.awaitRunning(Duration.ofSeconds(90))).isTrue();
      // and trainers on several partitions
      List<String> ids = List.of("r0", "r1", "r2", "r3", "r4", "r5");
      for (String id : ids) {
        declare(configA, a.topics(), id, 5);
      }

      // When each trainer is asked of both instances
      // Then both answer with the same trainer, whichever owns it
      for (String id : ids) {
        JsonNode fromA = poll(a.restUrl(), "/trainers/" + id, body -> body.has("spec"));
        JsonNode fromB = poll(b.restUrl(), "/trainers/" + id, body -> body.has("spec"));
        assertThat(fromA.get("trainerId").asText()).isEqualTo(id);
        assertThat(fromB).isEqualTo(fromA);
      }
      // and the list gathered from either instance names every trainer once
      JsonNode listA = poll(a.restUrl(), "/trainers", body -> body.get("trainers").size() == 6);
      JsonNode listB = poll(b.restUrl(), "/trainers", body -> body.get("trainers").size() == 6);
      assertThat(listA.get("trainers").findValuesAsText("trainerId"))
          .containsExactlyElementsOf(ids);
      assertThat(listB).isEqualTo(listA);
      // and each instance owns some of them (so some answers above were forwarded)
      int localA =
          json.readTree(get(a.restUrl(), "/trainers?scope=local", TOKEN).body())
              .get("trainers")
              .size();
      int localB =
          json.readTree(get(b.restUrl(), "/trainers?scope=local", TOKEN).body())
              .get("trainers")
              .size();
      assertThat(localA + localB).isEqualTo(6);
      assertThat(localA).isPositive();
      assertThat(localB).isPositive();
    }
  }

  @Test
  void shouldApplyControlsPostedToTheApiInOrderWithTheTrainersFeedback() throws Exception {
    Map<String, Object> props = props("controls", temp.resolve("state"));
    SieveConfig config = new SieveConfig(props);
    long lastBeforeRestart;
    try (SieveService service = new SieveService(config).start()) {
      URI base = service.restUrl();
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      Topics topics = service.topics();

      // Given 150 pooled examples (a third lang=de) and a trainer that acknowledges what it gets
      produceExamples(topics, 150);
      poll(base, "/clusters", body -> sum(body.get("clusters"), "size") == 150);
      declare(config, topics, "t3", 10);
      try (TestTrainer trainer =
          new TestTrainer(
              STACK.kafka().bootstrapServers(), serdes, config.applicationId(), topics, "t3")) {
        assertThat(trainer.poll(2, Duration.ofSeconds(90))).hasSizeGreaterThanOrEqualTo(2);

        // When it is paused over the API, and acknowledges what is still out
        HttpResponse<String> paused = post(base, "/trainers/t3/pause?reason=it", TOKEN);
        assertThat(paused.statusCode()).isEqualTo(202);
        assertThat(json.readTree(paused.body()).get("topic").asText())
            .isEqualTo(topics.controls().name());
        poll(base, "/trainers/t3", body -> body.get("paused").asBoolean());
        JsonNode drained =
            pollWhileAcking(
                trainer, base, "/trainers/t3", body -> body.get("outstanding").isEmpty());

        // And a quarantine of lang=de and a skip to 100 follow
        assertThat(post(base, "/trainers/t3/quarantine?group=lang%3Dde", TOKEN).statusCode())
            .isEqualTo(202);
        assertThat(post(base, "/trainers/t3/skip?to=100", TOKEN).statusCode()).isEqualTo(202);
        JsonNode skipped = poll(base, "/trainers/t3", body -> body.get("sequence").asLong() == 100);

        // Then, paused, it was planned nothing with its whole credit free, and shows its quarantine
        assertThat(drained.get("sequence").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(skipped.get("outstanding")).isEmpty();
        assertThat(skipped.get("paused").asBoolean()).isTrue();
        assertThat(skipped.get("quarantine").get("groups").get(0).asText()).isEqualTo("lang=de");
        String scrape = get(base, "/metrics", TOKEN).body();
        assertThat(value(scrape, "sieve_trainer_paused", "trainer=\"t3\"")).isEqualTo(1.0);
        assertThat(value(scrape, "sieve_quarantines", "kind=\"group\",trainer=\"t3\""))
            .isEqualTo(1.0);

        // When it is resumed
        assertThat(post(base, "/trainers/t3/resume", TOKEN).statusCode()).isEqualTo(202);
        List<TrainingBatch> resumed = trainer.poll(2, Duration.ofSeconds(90));

        // Then its batches go on from 100, full, without a single lang=de example
        assertThat(resumed).hasSizeGreaterThanOrEqualTo(2);
        assertThat(resumed.get(0).getSequence()).isEqualTo(100L);
        assertThat(resumed.get(1).getSequence()).isEqualTo(101L);
        lastBeforeRestart = resumed.get(resumed.size() - 1).getSequence();
        for (TrainingBatch b : resumed) {
          assertThat(b.getExamples()).hasSize(10);
          assertThat(b.getExamples())
              .extracting(BatchExample::getGroups)
              .allSatisfy(g -> assertThat(g.get("lang")).isEqualTo("en"));
        }
      }

      // And a control the planner cannot apply, written by any producer, is a dead letter
      new TrainerAdmin(config, topics)
          .control(TrainerControl.newBuilder().setTrainerId("t3").setAction("explode").build());
      poll(
          base,
          "/trainers/t3",
          body -> {
            try {
              String text = get(base, "/metrics", TOKEN).body();
              return text.contains("reason=\"unknown-action\"");
            } catch (Exception e) {
              return false;
            }
          });
    }

    // When the instance restarts on another state directory (its state comes back from the
    // changelogs, as on another machine)
    props.put(SieveConfig.STATE_DIR_CONFIG, temp.resolve("state-restarted").toString());
    try (SieveService service = new SieveService(new SieveConfig(props)).start()) {
      URI base = service.restUrl();
      assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
      // Then the quarantine holds: the trainer still shows it, and its next batches carry no
      // lang=de
      JsonNode restarted =
          poll(
              base,
              "/trainers/t3",
              body -> body.path("quarantine").path("groups").path(0).asText().equals("lang=de"));
      assertThat(restarted.get("paused").asBoolean()).isFalse();
      try (TestTrainer trainer =
          new TestTrainer(
              STACK.kafka().bootstrapServers(),
              serdes,
              config.applicationId(),
              service.topics(),
              "t3")) {
        // (every batch from 100 on was planned under the quarantine; some after the restart)
        List<TrainingBatch> after = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (after.stream().noneMatch(b -> b.getSequence() > lastBeforeRestart + 2)
            && System.nanoTime() < deadline) {
          trainer.poll(1, Duration.ofSeconds(5)).stream()
              .filter(b -> b.getSequence() >= 100)
              .forEach(after::add);
        }
        assertThat(after)
            .as("batches planned after the restart")
            .anyMatch(b -> b.getSequence() > lastBeforeRestart + 2);
        for (TrainingBatch b : after) {
          assertThat(b.getExamples())
              .extracting(BatchExample::getGroups)
              .allSatisfy(g -> assertThat(g.get("lang")).isEqualTo("en"));
        }
      }
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private HttpResponse<String> post(URI base, String path, String token)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** As {@link #poll}, the trainer acknowledging whatever arrives meanwhile. */
  private JsonNode pollWhileAcking(
      TestTrainer trainer, URI base, String path, Predicate<JsonNode> done) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    HttpResponse<String> last = null;
    while (System.nanoTime() < deadline) {
      trainer.poll(Integer.MAX_VALUE, Duration.ofMillis(300));
      last = get(base, path, TOKEN);
      if (last.statusCode() == 200) {
        JsonNode body = json.readTree(last.body());
        if (done.test(body)) {
          return body;
        }
      }
    }
    throw new AssertionError(
        path
            + " never satisfied the condition; last answer: "
            + (last == null ? "none" : last.statusCode() + " " + last.body()));
  }

  private HttpResponse<String> get(URI base, String path, String token)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30)).GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Asks until a 200 answer satisfies the condition; bounded by a minute. */
  private JsonNode poll(URI base, String path, Predicate<JsonNode> done) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    HttpResponse<String> last = null;
    while (System.nanoTime() < deadline) {
      last = get(base, path, TOKEN);
      if (last.statusCode() == 200) {
        JsonNode body = json.readTree(last.body());
        if (done.test(body)) {
          return body;
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError(
        path
            + " never satisfied the condition; last answer: "
            + (last == null ? "none" : last.statusCode() + " " + last.body()));
  }

  private static long sum(JsonNode array, String field) {
    long total = 0;
    for (JsonNode node : array) {
      total += node.get(field).asLong();
    }
    return total;
  }

  private static long sum(JsonNode object) {
    long total = 0;
    for (JsonNode node : object) {
      total += node.asLong();
    }
    return total;
  }

  /** The sum of a metric's samples whose labels contain {@code labelPart}. */
  private static double value(String scrape, String metric, String labelPart) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(metric) + "(\\{[^}]*\\})?\\s+(\\S+)$")
            .matcher(scrape);
    double total = 0;
    boolean found = false;
    while (m.find()) {
      String labels = m.group(1) == null ? "" : m.group(1);
      if (labels.contains(labelPart)) {
        total += Double.parseDouble(m.group(2));
        found = true;
      }
    }
    assertThat(found).as("%s{%s} in the scrape", metric, labelPart).isTrue();
    return total;
  }

  /** Every metric name (sieve_* or kafka_*) in the dashboard's queries. */
  private Set<String> dashboardMetrics() throws IOException {
    JsonNode dashboard = json.readTree(DASHBOARD.toFile());
    Set<String> names = new TreeSet<>();
    Pattern metric = Pattern.compile("\\b((?:sieve|kafka)_[a-zA-Z0-9_]+)");
    for (JsonNode expr : dashboard.findValues("expr")) {
      Matcher m = metric.matcher(expr.asText());
      while (m.find()) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  private static void declare(SieveConfig config, Topics topics, String id, int batchSize) {
    new TrainerAdmin(config, topics)
        .put(
            TrainerSpec.newBuilder()
                .setTrainerId(id)
                .setPolicy("uniform")
                .setBatchSize(batchSize)
                .setWindow(2)
                .setSeed(3)
                .build());
  }

  private static KafkaProducer<String, byte[]> producer() {
    return ItClients.producer(STACK.kafka().bootstrapServers());
  }

  private static void produceExamples(Topics topics, int n) {
    Random rng = new Random(9);
    String topic = topics.examples().name();
    try (KafkaProducer<String, byte[]> producer = producer()) {
      for (int i = 0; i < n; i++) {
        String[] words = WORDS[i % WORDS.length];
        StringBuilder text = new StringBuilder();
        for (int w = 0; w < 8; w++) {
          text.append(words[rng.nextInt(words.length)]).append(' ');
        }
        String id = "q-" + i;
        TrainingExample example =
            TrainingExample.newBuilder()
                .setId(id)
                .setText(text + id)
                .setGroups(Map.of("lang", i % 3 == 0 ? "de" : "en"))
                .build();
        producer.send(new ProducerRecord<>(topic, id, serdes.serialize(topic, example)));
      }
      producer.flush();
    }
  }

  private static void produceGarbage(Topics topics) {
    try (KafkaProducer<String, byte[]> producer = producer()) {
      producer.send(
          new ProducerRecord<>(topics.examples().name(), "garbage", new byte[] {1, 2, 3}));
      producer.flush();
    }
  }

  /** Reads n batches of a trainer and acknowledges each. */
  private static List<TrainingBatch> consumeAndAck(
      SieveConfig config, Topics topics, String trainerId, int n) {
    List<TrainingBatch> out;
    try (TestTrainer trainer =
        new TestTrainer(
            STACK.kafka().bootstrapServers(), serdes, config.applicationId(), topics, trainerId)) {
      out = trainer.poll(n, Duration.ofSeconds(90));
    }
    assertThat(out).as("batches of %s", trainerId).hasSizeGreaterThanOrEqualTo(n);
    return out;
  }
}
