package io.sieve.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sieve.app.SieveService;
import io.sieve.app.TrainerAdmin;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.TrainerSpec;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.embedded.ShutdownCleanup;
import io.sieve.embedded.WorkDir;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The embedded demo: a real broker and a real schema registry on loopback, the topology, a feeder
 * of synthetic long-tailed data and a simulated trainer, with progress and a summary.
 */
public final class Demo {

  public static final String TRAINER_ID = "demo";

  private final Duration duration;
  private final String policy;
  private final Path reportDir;
  private final int rate;
  private final int batchSize;
  private final PrintStream out;

  public Demo(
      Duration duration, String policy, Path reportDir, int rate, int batchSize, PrintStream out) {
    this.duration = duration;
    this.policy = policy;
    this.reportDir = reportDir;
    this.rate = rate;
    this.batchSize = batchSize;
    this.out = out;
  }

  public Map<String, Object> run() throws Exception {
    long started = System.nanoTime();
    Map<String, Object> props = new LinkedHashMap<>();
    props.put(SieveConfig.APPLICATION_ID_CONFIG, "sieve-demo");
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 400);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 12);
    props.put(SieveConfig.POOL_CAPACITY_CONFIG, 2000);
    // closed also on SIGTERM or Ctrl-C: the registry process and the work directory go with it
    try (ShutdownCleanup cleanup = ShutdownCleanup.install("sieve-demo-cleanup")) {
      WorkDir dir = cleanup.add(WorkDir.create("sieve-demo-"));
      LocalStack stack =
          cleanup.add(
              LocalStack.start(
                  dir.path(), false, LocalStack.Ports.ANY, props, Duration.ofSeconds(60)));
      String bootstrap = stack.kafka().bootstrapServers();
      SieveService service = stack.service();
      SieveConfig config = service.config();
      out.printf("Kafka broker:    %s%n", bootstrap);
      out.printf("Schema registry: %s%n", stack.registry().url());
      out.printf(
          "Watch it:        kcat -b %s -L   |   kafka-consumer-groups --bootstrap-server %s"
              + " --describe --all-groups%n",
          bootstrap, bootstrap);
      out.printf("Sieve is running (application id %s).%n", config.applicationId());
      out.printf(
          "REST API:        %s  (try /clusters, /trainers/%s, /trainers/%s/batches,"
              + " /metrics)%n",
          service.restUrl(), TRAINER_ID, TRAINER_ID);
      Topics topics = service.topics();
      new TrainerAdmin(config, topics)
          .put(
              TrainerSpec.newBuilder()
                  .setTrainerId(TRAINER_ID)
                  .setPolicy(policy)
                  .setBatchSize(batchSize)
                  .setWindow(2)
                  .setSeed(7)
                  .setParams(
                      policy.equals("equitable") ? Map.of("equitable.attribute", "lang") : Map.of())
                  .build());
      out.printf(
          "Trainer '%s' declared: policy %s, batches of %d on %s%n",
          TRAINER_ID, policy, batchSize, topics.batchTopic(TRAINER_ID));
      return feedAndTrain(service, bootstrap, started);
    }
  }

  private Map<String, Object> feedAndTrain(SieveService service, String bootstrap, long started)
      throws Exception {
    Topics topics = service.topics();
    SyntheticFeed feed = new SyntheticFeed(11, service.config().dimension(), 12, 0.02, 0.03);
    SimulatedTrainer trainer =
        new SimulatedTrainer(
            bootstrap,
            TRAINER_ID,
            topics.batchTopic(TRAINER_ID),
            topics.feedback().name(),
            service.serdes(),
            Duration.ofMillis(20));
    Thread trainerThread = new Thread(trainer, "demo-trainer");
    trainerThread.start();
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    Map<String, Long> sentByKind = new LinkedHashMap<>();
    long feedStart = System.nanoTime();
    long end = feedStart + duration.toNanos();
    long nextReport = feedStart + Duration.ofSeconds(5).toNanos();
    long sent = 0;
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      while (System.nanoTime() < end) {
        long due = (System.nanoTime() - feedStart) * rate / 1_000_000_000L;
        while (sent < due) {
          SyntheticFeed.Item item = feed.next();
          byte[] value =
              item.garbage() != null
                  ? item.garbage()
                  : service.serdes().serialize(topics.examples().name(), item.example());
          producer.send(new ProducerRecord<>(topics.examples().name(), item.key(), value));
          sentByKind.merge(item.kind(), 1L, Long::sum);
          sent++;
        }
        if (System.nanoTime() >= nextReport) {
          progress(service, trainer, feedStart);
          nextReport += Duration.ofSeconds(5).toNanos();
        }
        Thread.sleep(10);
      }
      producer.flush();
    }
    // let what was sent settle: the last examples reach the pools, the last batches the trainer
    Thread.sleep(3000);
    progress(service, trainer, feedStart);
    trainer.close();
    trainerThread.join(10_000);
    trainer.release();
    return summary(service, trainer, sentByKind, feed, started);
  }

  private void progress(SieveService service, SimulatedTrainer trainer, long feedStart) {
    SieveMetrics m = service.metrics();
    double secs = (System.nanoTime() - feedStart) / 1e9;
    Map<String, Map<String, Double>> recent = trainer.recentShares();
    out.printf(
        "[%5.1fs] ingested %d (%.0f/s) | pooled %d | duplicates %d | clusters %d | batches %d"
            + " (%d examples) | dead letters %d%n",
        secs,
        m.examplesIn(),
        m.examplesIn() / Math.max(secs, 1e-9),
        m.pooledCount(),
        m.duplicates(),
        clusters(service),
        trainer.batches(),
        trainer.examples(),
        m.deadLettersByReason().values().stream().mapToLong(Long::longValue).sum());
    out.printf("         recent batches, clusters: %s%n", top(recent.get("clusters"), 8));
    out.printf("         recent batches, lang:     %s%n", prefixed(recent.get("groups"), "lang="));
  }

  private static int clusters(SieveService service) {
    try {
      ReadOnlyKeyValueStore<String, CentroidModel> store =
          service
              .streams()
              .store(
                  StoreQueryParameters.fromNameAndType(
                      Stores.CENTROIDS, QueryableStoreTypes.keyValueStore()));
      CentroidModel model = store.get(Topics.MODEL_KEY);
      return model == null ? 0 : model.getClusters().size();
    } catch (RuntimeException e) {
      return 0;
    }
  }

  private Map<String, Object> summary(
      SieveService service,
      SimulatedTrainer trainer,
      Map<String, Long> sentByKind,
      SyntheticFeed feed,
      long started) {
    SieveMetrics m = service.metrics();
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("policy", policy);
    s.put("durationSeconds", duration.toSeconds());
    s.put("wallSeconds", Math.round((System.nanoTime() - started) / 1e8) / 10.0);
    s.put("sent", sentByKind);
    s.put("examplesIngested", m.examplesIn());
    s.put("ingestPerSecond", Math.round(m.examplesIn() / (double) duration.toSeconds()));
    s.put("examplesPooled", m.pooledCount());
    s.put("duplicatesDropped", m.duplicates());
    s.put("deadLetters", m.deadLettersByReason());
    s.put("clusters", clusters(service));
    s.put("batchesWritten", m.batches());
    s.put("batchesReceived", trainer.batches());
    s.put("incompleteBatches", trainer.incomplete());
    s.put("examplesReceived", trainer.examples());
    s.put("distinctExamplesReceived", trainer.distinctExamples());
    s.put("repeatsWithinCycle", trainer.repeatsWithinCycle());
    s.put("feedTopicShares", round(feed.topicShares()));
    s.put("batchTopicShares", round(trainer.labelShares()));
    s.put("batchClusterShares", round(trainer.clusterShares()));
    s.put("batchGroupShares", round(trainer.groupShares()));
    return s;
  }

  /** Prints the summary and writes it as JSON when a report directory was given. */
  public void report(Map<String, Object> summary) throws IOException {
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    out.println("Summary:");
    out.println(json.writeValueAsString(summary));
    if (reportDir != null) {
      Files.createDirectories(reportDir);
      Path file = reportDir.resolve("summary.json");
      json.writeValue(file.toFile(), summary);
      out.printf("Summary written to %s%n", file.toAbsolutePath());
    }
  }

  private static Map<String, Double> round(Map<String, Double> shares) {
    Map<String, Double> out = new LinkedHashMap<>();
    shares.forEach((k, v) -> out.put(k, Math.round(v * 1000) / 1000.0));
    return out;
  }

  private static String top(Map<String, Double> shares, int n) {
    return shares.entrySet().stream()
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .limit(n)
        .map(e -> String.format("c%s %.0f%%", e.getKey(), e.getValue() * 100))
        .collect(Collectors.joining(", "));
  }

  private static String prefixed(Map<String, Double> shares, String prefix) {
    return shares.entrySet().stream()
        .filter(e -> e.getKey().startsWith(prefix))
        .map(
            e ->
                String.format(
                    "%s %.0f%%", e.getKey().substring(prefix.length()), e.getValue() * 100))
        .collect(Collectors.joining(", "));
  }
}
