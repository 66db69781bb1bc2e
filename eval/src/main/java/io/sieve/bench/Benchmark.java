package io.sieve.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sieve.app.SieveService;
import io.sieve.app.TrainerAdmin;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topic;
import io.sieve.config.Topics;
import io.sieve.embedded.EmbeddedKafka;
import io.sieve.embedded.RegistryServer;
import io.sieve.embedded.WorkDir;
import io.sieve.registry.RestSchemaRegistry;
import io.sieve.serde.AvroSerdes;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The performance benchmark: end-to-end ingest throughput of the full topology against a
 * passthrough topology (same Avro in and out, exactly-once, same broker, same run), batch latency
 * from credit to batch written, and footprint. It prints a table and writes JSON.
 */
public final class Benchmark {

  private final int records;
  private final int repetitions;
  private final int dimension;
  private final int batchSize;
  private final Duration latencyRun;
  private final Path reportDir;
  private final PrintStream out;

  public Benchmark(
      int records,
      int repetitions,
      int dimension,
      int batchSize,
      Duration latencyRun,
      Path reportDir,
      PrintStream out) {
    this.records = records;
    this.repetitions = repetitions;
    this.dimension = dimension;
    this.batchSize = batchSize;
    this.latencyRun = latencyRun;
    this.reportDir = reportDir;
    this.out = out;
  }

  public Map<String, Object> run() throws Exception {
    try (WorkDir dir = WorkDir.create("sieve-bench-");
        EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), Map.of());
        RegistryServer registry =
            RegistryServer.start(RegistryServer.locate(), dir.resolve("registry.log"))) {
      Path work = dir.path();
      AvroSerdes serdes = new AvroSerdes(new RestSchemaRegistry(registry.url()));
      SieveConfig base = config(kafka, registry, work, "bench-setup");
      Topics topics = Topics.from(base, serdes);
      try (io.sieve.app.TopicAdmin admin = new io.sieve.app.TopicAdmin(base)) {
        admin.ensureRequired(topics);
      }
      kafka.createTopic("bench.passthrough-out", base.partitions(), Map.of());
      out.printf(
          "Producing %,d examples (d=%d, ~200-char text, 3 groups) to %s...%n",
          records, dimension, topics.examples().name());
      produce(kafka.bootstrapServers(), serdes, topics.examples().name());

      List<Double> passthrough = new ArrayList<>();
      List<Double> full = new ArrayList<>();
      Map<String, Object> footprint = new LinkedHashMap<>();
      for (int rep = 1; rep <= repetitions; rep++) {
        double p = runPassthrough(kafka, registry, work, serdes, topics, rep);
        passthrough.add(p);
        out.printf("  rep %d passthrough: %,.0f records/s%n", rep, p);
        double f = runFull(kafka, registry, work, rep, rep == repetitions ? footprint : null);
        full.add(f);
        out.printf("  rep %d full Sieve:  %,.0f records/s%n", rep, f);
      }
      Map<String, Object> latency = runLatency(kafka, registry, work, serdes);

      Map<String, Object> result = new LinkedHashMap<>();
      result.put("records", records);
      result.put("dimension", dimension);
      result.put("repetitions", repetitions);
      result.put("processingGuarantee", StreamsConfig.EXACTLY_ONCE_V2);
      result.put("cores", Runtime.getRuntime().availableProcessors());
      result.put("passthroughRecordsPerSecond", passthrough);
      result.put("fullRecordsPerSecond", full);
      double pMed = median(passthrough);
      double fMed = median(full);
      result.put("passthroughMedian", Math.round(pMed));
      result.put("fullMedian", Math.round(fMed));
      result.put("ratioFullToPassthrough", Math.round(fMed / pMed * 1000) / 1000.0);
      result.put("latency", latency);
      result.put("footprint", footprint);
      report(result);
      return result;
    }
  }

  private SieveConfig config(EmbeddedKafka kafka, RegistryServer registry, Path work, String app) {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put(SieveConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(SieveConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
    props.put(SieveConfig.APPLICATION_ID_CONFIG, app);
    props.put(SieveConfig.STATE_DIR_CONFIG, work.resolve("state-" + app).toString());
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, dimension);
    props.put(SieveConfig.TOPIC_EXAMPLES_CONFIG, "bench.examples");
    props.put(SieveConfig.TOPIC_TRAINERS_CONFIG, "bench." + app + ".trainers");
    props.put(SieveConfig.TOPIC_FEEDBACK_CONFIG, "bench." + app + ".feedback");
    props.put(SieveConfig.TOPIC_CENTROIDS_CONFIG, "bench." + app + ".centroids");
    props.put(SieveConfig.TOPIC_CLUSTER_STATS_CONFIG, "bench." + app + ".cluster-stats");
    props.put(SieveConfig.TOPIC_DEAD_LETTERS_CONFIG, "bench." + app + ".dead-letters");
    props.put(SieveConfig.TOPIC_BATCHES_PREFIX_CONFIG, "bench." + app + ".batches.");
    props.put(SieveConfig.POOL_CAPACITY_CONFIG, 1_000_000);
    return new SieveConfig(props);
  }

  private void produce(String bootstrap, AvroSerdes serdes, String topic) {
    Random rng = new Random(17);
    String[] langs = {"en", "de", "fr"};
    String[] sources = {"web", "books", "code"};
    String[] regions = {"eu", "na", "apac"};
    float[][] centers = new float[32][dimension];
    for (float[] c : centers) {
      for (int i = 0; i < dimension; i++) {
        c[i] = (float) rng.nextGaussian();
      }
    }
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 262_144);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      for (int n = 0; n < records; n++) {
        float[] c = centers[rng.nextInt(centers.length)];
        List<Float> embedding = new ArrayList<>(dimension);
        for (int i = 0; i < dimension; i++) {
          embedding.add(c[i] + 0.3f * (float) rng.nextGaussian());
        }
        StringBuilder text = new StringBuilder(220);
        while (text.length() < 200) {
          text.append(Long.toString(rng.nextLong() & Long.MAX_VALUE, 36)).append(' ');
        }
        TrainingExample ex =
            TrainingExample.newBuilder()
                .setId("e" + n)
                .setText(text.toString())
                .setEmbedding(embedding)
                .setGroups(
                    Map.of(
                        "lang", langs[rng.nextInt(3)],
                        "source", sources[rng.nextInt(3)],
                        "region", regions[rng.nextInt(3)]))
                .build();
        producer.send(new ProducerRecord<>(topic, ex.getId(), serdes.serialize(topic, ex)));
      }
      producer.flush();
    }
  }

  private double runPassthrough(
      EmbeddedKafka kafka,
      RegistryServer registry,
      Path work,
      AvroSerdes serdes,
      Topics topics,
      int rep)
      throws Exception {
    SieveConfig config = config(kafka, registry, work, "bench-passthrough-" + rep);
    LongAdder count = new LongAdder();
    Topic<String, TrainingExample> outTopic =
        new Topic<>(
            "bench.passthrough-out",
            Serdes.String(),
            serdes.forClass(TrainingExample.class, false));
    try (KafkaStreams streams =
        new KafkaStreams(
            Passthrough.build(topics.examples(), outTopic, count), config.streamsProperties())) {
      return timeUntil(streams, count::sum);
    }
  }

  private double runFull(
      EmbeddedKafka kafka,
      RegistryServer registry,
      Path work,
      int rep,
      Map<String, Object> footprint)
      throws Exception {
    SieveConfig config = config(kafka, registry, work, "bench-full-" + rep);
    try (SieveService service = new SieveService(config)) {
      service.start();
      double rate = timeUntil(service.streams(), () -> service.metrics().pooledCount());
      if (footprint != null) {
        footprint.putAll(footprint(config, service.metrics().pooledCount()));
      }
      return rate;
    }
  }

  /** Starts the app and times it from RUNNING until {@code done} reaches the record count. */
  private double timeUntil(KafkaStreams streams, LongSupplier done) throws InterruptedException {
    if (streams.state() == KafkaStreams.State.CREATED) {
      streams.start();
    }
    while (streams.state() != KafkaStreams.State.RUNNING) {
      Thread.sleep(20);
    }
    long start = System.nanoTime();
    long deadline = start + Duration.ofMinutes(30).toNanos();
    while (done.getAsLong() < records && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (done.getAsLong() < records) {
      throw new IllegalStateException(
          "only " + done.getAsLong() + " of " + records + " records after 30 minutes");
    }
    return records / seconds;
  }

  private Map<String, Object> footprint(SieveConfig config, long pooled) throws IOException {
    System.gc();
    Map<String, Object> f = new LinkedHashMap<>();
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    f.put("pooledExamples", pooled);
    f.put("heapUsedAfterGcMiB", heap / (1024 * 1024));
    f.put("rssMiB", rssKib() / 1024);
    Path state = Path.of(config.getString(SieveConfig.STATE_DIR_CONFIG));
    long poolBytes = sizeOf(state, "pool-store");
    f.put("poolStoreMiB", poolBytes / (1024 * 1024));
    f.put(
        "poolStoreMiBPerMillionExamples",
        Math.round(poolBytes / (1024.0 * 1024.0) / Math.max(pooled, 1) * 1_000_000));
    f.put("stateDirMiB", sizeOf(state, "") / (1024 * 1024));
    f.put("note", "RSS and heap include the in-process broker of the benchmark");
    return f;
  }

  private Map<String, Object> runLatency(
      EmbeddedKafka kafka, RegistryServer registry, Path work, AvroSerdes serdes) throws Exception {
    SieveConfig config = config(kafka, registry, work, "bench-latency");
    List<Long> latencies = new ArrayList<>();
    long start;
    try (SieveService service = new SieveService(config)) {
      service.start();
      while (service.metrics().pooledCount() < Math.min(records, 20_000)) {
        Thread.sleep(50);
      }
      Topics topics = service.topics();
      new TrainerAdmin(config, topics)
          .put(
              TrainerSpec.newBuilder()
                  .setTrainerId("bench")
                  .setPolicy("uniform")
                  .setBatchSize(batchSize)
                  .setWindow(1)
                  .build());
      String topic = topics.batchTopic("bench");
      String feedback = topics.feedback().name();
      Properties c = new Properties();
      c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      c.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-trainer");
      c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      try (KafkaConsumer<String, byte[]> consumer =
              new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
          KafkaProducer<String, byte[]> producer =
              new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
        consumer.subscribe(List.of(topic));
        start = System.nanoTime();
        long end = start + latencyRun.toNanos();
        while (System.nanoTime() < end) {
          for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
            TrainingBatch b = serdes.deserialize(topic, r.value(), TrainingBatch.class);
            latencies.add(b.getAssembledAt().toEpochMilli() - b.getPlannedAt().toEpochMilli());
            TrainerFeedback fb =
                TrainerFeedback.newBuilder()
                    .setTrainerId("bench")
                    .setBatchId(b.getBatchId())
                    .build();
            producer.send(new ProducerRecord<>(feedback, "bench", serdes.serialize(feedback, fb)));
          }
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    latencies.sort(Comparator.naturalOrder());
    Map<String, Object> l = new LinkedHashMap<>();
    l.put("batchSize", batchSize);
    l.put("window", 1);
    l.put("batches", latencies.size());
    l.put("batchesPerSecond", Math.round(latencies.size() / seconds * 10) / 10.0);
    l.put("p50Ms", percentile(latencies, 0.50));
    l.put("p99Ms", percentile(latencies, 0.99));
    l.put("maxMs", latencies.isEmpty() ? null : latencies.get(latencies.size() - 1));
    return l;
  }

  private void report(Map<String, Object> result) throws IOException {
    out.println();
    out.println("| measure | value |");
    out.println("|---|---|");
    out.printf(
        "| passthrough (decode + encode, EOS v2), records/s | %s (median %,d) |%n",
        rates(result.get("passthroughRecordsPerSecond")), result.get("passthroughMedian"));
    out.printf(
        "| full Sieve topology, records/s | %s (median %,d) |%n",
        rates(result.get("fullRecordsPerSecond")), result.get("fullMedian"));
    out.printf("| ratio full / passthrough | %s |%n", result.get("ratioFullToPassthrough"));
    @SuppressWarnings("unchecked")
    Map<String, Object> l = (Map<String, Object>) result.get("latency");
    out.printf(
        "| batch latency, credit to written (batch %s, %s batches/s) | p50 %s ms, p99 %s ms |%n",
        l.get("batchSize"), l.get("batchesPerSecond"), l.get("p50Ms"), l.get("p99Ms"));
    @SuppressWarnings("unchecked")
    Map<String, Object> f = (Map<String, Object>) result.get("footprint");
    out.printf(
        "| footprint after the last full run | heap %s MiB, RSS %s MiB (broker included) |%n",
        f.get("heapUsedAfterGcMiB"), f.get("rssMiB"));
    out.printf(
        "| RocksDB pool store per million pooled examples | %s MiB |%n",
        f.get("poolStoreMiBPerMillionExamples"));
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    if (reportDir != null) {
      Files.createDirectories(reportDir);
      Path file = reportDir.resolve("benchmark.json");
      json.writeValue(file.toFile(), result);
      out.printf("%nWritten to %s%n", file.toAbsolutePath());
    } else {
      out.println(json.writeValueAsString(result));
    }
  }

  /** Each repetition's rate, rounded: "4,474 / 4,669 / 5,522". */
  private static String rates(Object values) {
    StringBuilder b = new StringBuilder();
    for (Object v : (List<?>) values) {
      b.append(b.length() == 0 ? "" : " / ").append(String.format("%,d", Math.round((Double) v)));
    }
    return b.toString();
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(Comparator.naturalOrder());
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  static Long percentile(List<Long> sorted, double q) {
    if (sorted.isEmpty()) {
      return null;
    }
    int i = (int) Math.ceil(q * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(i, sorted.size() - 1)));
  }

  private static long rssKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  private static long sizeOf(Path root, String contains) throws IOException {
    if (!Files.exists(root)) {
      return 0;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      return paths
          .filter(Files::isRegularFile)
          .filter(p -> p.toString().contains(contains))
          .mapToLong(p -> p.toFile().length())
          .sum();
    }
  }
}
