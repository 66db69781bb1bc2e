package io.sieve.quality;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sieve.app.SieveService;
import io.sieve.app.TrainerAdmin;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.diversity.RandomProjection;
import io.sieve.embedded.EmbeddedKafka;
import io.sieve.embedded.RegistryServer;
import io.sieve.embedded.WorkDir;
import io.sieve.stream.SieveMetrics;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Does selection beat uniform sampling? Each data set is streamed once through the real topology
 * (embedded broker, real registry); once it is pooled, one trainer per policy × seed is declared at
 * once, all sharing the pool, each on its own batch topic. Every trainer is a {@link
 * SoftmaxRegression} that consumes the same budget of examples and answers each batch with its
 * losses; its accuracy on a held-out test set is measured locally as it goes. The report gives, per
 * policy and over seeds, final and worst-group accuracy, examples needed to reach a fraction of
 * uniform's final accuracy, and the Vendi score of what was consumed.
 */
public final class QualityBenchmark {

  /** Every policy, uniform first (the baseline). */
  public static final List<String> POLICIES =
      List.of(
          "uniform",
          "cluster-balanced",
          "iterative-refinement",
          "ucb",
          "exp3",
          "coverage",
          "equitable");

  /** What one run does; see the CLI for the meaning of each. */
  public record Settings(
      List<String> datasets,
      List<String> policies,
      int seeds,
      int budget,
      int batchSize,
      int streamSize,
      int testSize,
      int evalPoints,
      double learningRate,
      double targetFraction,
      long dataSeed,
      Duration stallTimeout,
      Path reportDir,
      Map<String, String> policyParams) {}

  private static final int VENDI_DIMENSION = 32;
  private static final long VENDI_SEED = 20240601L;

  private final Settings settings;
  private final PrintStream out;
  private final Map<String, Map<String, Plots.Curve>> curves = new LinkedHashMap<>();

  public QualityBenchmark(Settings settings, PrintStream out) {
    this.settings = settings;
    this.out = out;
  }

  /** Loads the data sets (failing fast when files are missing), runs, and writes the report. */
  public Map<String, Object> run() throws Exception {
    List<Dataset> datasets = new ArrayList<>();
    for (String name : settings.datasets()) {
      long t0 = System.nanoTime();
      Dataset d = load(name);
      out.printf(
          "Loaded %s: %,d streamed, %,d held out, %d classes, group attribute '%s', dimension %d"
              + " (%.1f s)%n",
          d.name(),
          d.stream().size(),
          d.test().size(),
          d.classes(),
          d.groupAttribute(),
          d.dimension(),
          (System.nanoTime() - t0) / 1e9);
      datasets.add(d);
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("settings", settingsMap());
    Map<String, Object> perDataset = new LinkedHashMap<>();
    long started = System.nanoTime();
    try (WorkDir dir = WorkDir.create("sieve-quality-");
        EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), Map.of());
        RegistryServer registry =
            RegistryServer.start(RegistryServer.locate(), dir.resolve("registry.log"))) {
      Path work = dir.path();
      out.printf("Kafka broker %s, schema registry %s%n", kafka.bootstrapServers(), registry.url());
      for (Dataset d : datasets) {
        perDataset.put(d.name(), runDataset(d, kafka, registry, work));
      }
    }
    report.put("wallSeconds", Math.round((System.nanoTime() - started) / 1e8) / 10.0);
    report.put("datasets", perDataset);
    write(report, perDataset);
    return report;
  }

  private Dataset load(String name) {
    switch (name) {
      case "wordnet":
        return WordNet.load(
            WordNet.DEFAULT_DIR,
            settings.streamSize(),
            settings.testSize(),
            settings.dataSeed(),
            SieveConfig.EMBEDDING_DIMENSION_DEFAULT);
      case "fashion-mnist":
        return FashionMnist.load(
            FashionMnist.DEFAULT_DIR,
            settings.streamSize(),
            settings.testSize(),
            settings.dataSeed());
      default:
        throw new IllegalArgumentException("unknown dataset " + name);
    }
  }

  private Map<String, Object> runDataset(
      Dataset d, EmbeddedKafka kafka, RegistryServer registry, Path work) throws Exception {
    String app = "quality-" + d.name();
    Map<String, Object> props = new LinkedHashMap<>();
    props.put(SieveConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(SieveConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
    props.put(SieveConfig.APPLICATION_ID_CONFIG, app);
    props.put(SieveConfig.STATE_DIR_CONFIG, work.resolve("state-" + app).toString());
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, d.dimension());
    props.put(SieveConfig.TOPIC_EXAMPLES_CONFIG, app + ".examples");
    props.put(SieveConfig.TOPIC_TRAINERS_CONFIG, app + ".trainers");
    props.put(SieveConfig.TOPIC_FEEDBACK_CONFIG, app + ".feedback");
    props.put(SieveConfig.TOPIC_TRAINER_CONTROLS_CONFIG, app + ".trainer-controls");
    props.put(SieveConfig.TOPIC_CENTROIDS_CONFIG, app + ".centroids");
    props.put(SieveConfig.TOPIC_CLUSTER_STATS_CONFIG, app + ".cluster-stats");
    props.put(SieveConfig.TOPIC_MANIFESTS_CONFIG, app + ".manifests");
    props.put(SieveConfig.TOPIC_DEAD_LETTERS_CONFIG, app + ".dead-letters");
    props.put(SieveConfig.TOPIC_BATCHES_PREFIX_CONFIG, app + ".batches.");
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 2000);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 24);
    // near duplicates are dropped (the default), and counted when waiting for the pool
    props.put(SieveConfig.DEDUP_NEAR_POLICY_CONFIG, "drop");
    // the whole stream stays pooled: the benchmark compares selection, not eviction
    props.put(SieveConfig.POOL_CAPACITY_CONFIG, settings.streamSize());
    SieveConfig config = new SieveConfig(props);
    Map<String, Object> result = new LinkedHashMap<>();
    try (SieveService service = new SieveService(config).start()) {
      if (!service.awaitRunning(Duration.ofSeconds(120))) {
        throw new IllegalStateException("Sieve did not reach RUNNING within 120 s");
      }
      long t0 = System.nanoTime();
      ingest(d, service, kafka.bootstrapServers());
      SieveMetrics m = service.metrics();
      double ingestSeconds = (System.nanoTime() - t0) / 1e9;
      out.printf(
          "[%s] pooled %,d of %,d sent (%,d duplicates and %,d near duplicates dropped, %,d dead"
              + " letters) in %.1f s%n",
          d.name(),
          m.pooledCount(),
          d.stream().size(),
          m.duplicates(),
          m.nearDuplicates(),
          deadLetters(m),
          ingestSeconds);
      result.put("streamed", d.stream().size());
      result.put("heldOut", d.test().size());
      result.put("pooled", m.pooledCount());
      result.put("duplicatesDropped", m.duplicates());
      result.put("nearDuplicatesDropped", m.nearDuplicates());
      result.put("deadLetters", deadLetters(m));
      result.put("ingestSeconds", Math.round(ingestSeconds * 10) / 10.0);
      result.put("classes", d.classes());
      result.put("groupAttribute", d.groupAttribute());
      result.put("dimension", d.dimension());
      long t1 = System.nanoTime();
      List<QualityTrainer> trainers = train(d, service, kafka.bootstrapServers());
      result.put("trainSeconds", Math.round((System.nanoTime() - t1) / 1e8) / 10.0);
      result.putAll(Summary.of(trainers, settings.policies(), settings.targetFraction()));
      curves.put(d.name(), Summary.curves(trainers, settings.policies()));
    }
    return result;
  }

  private void ingest(Dataset d, SieveService service, String bootstrap) throws Exception {
    Topics topics = service.topics();
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 262_144);
    String topic = topics.examples().name();
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      for (Dataset.Item item : d.stream()) {
        TrainingExample.Builder b =
            TrainingExample.newBuilder()
                .setId(item.id())
                .setLabel(Integer.toString(item.label()))
                .setGroups(Map.of(d.groupAttribute(), item.group()));
        if (item.text() != null) {
          b.setText(item.text());
        } else {
          List<Float> emb = new ArrayList<>(item.features().length);
          for (float f : item.features()) {
            emb.add(f);
          }
          b.setEmbedding(emb);
        }
        producer.send(
            new ProducerRecord<>(topic, item.id(), service.serdes().serialize(topic, b.build())));
      }
      producer.flush();
    }
    // wait until every example is accounted for: pooled, dropped as a duplicate or a near
    // duplicate, or dead-lettered
    SieveMetrics m = service.metrics();
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    long nextReport = System.nanoTime();
    while (m.pooledCount() + m.duplicates() + m.nearDuplicates() + deadLetters(m)
        < d.stream().size()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "only " + m.pooledCount() + " of " + d.stream().size() + " pooled after 10 min");
      }
      if (System.nanoTime() >= nextReport) {
        out.printf("[%s] ingested %,d, pooled %,d%n", d.name(), m.examplesIn(), m.pooledCount());
        nextReport += Duration.ofSeconds(10).toNanos();
      }
      Thread.sleep(200);
    }
    // the planner reads pool sizes from the cluster statistics, published every interval
    Thread.sleep(4 * SieveConfig.STATS_INTERVAL_DEFAULT + 1000);
  }

  private static long deadLetters(SieveMetrics m) {
    return m.deadLettersByReason().values().stream().mapToLong(Long::longValue).sum();
  }

  private List<QualityTrainer> train(Dataset d, SieveService service, String bootstrap)
      throws Exception {
    Topics topics = service.topics();
    RandomProjection projection = new RandomProjection(d.dimension(), VENDI_DIMENSION, VENDI_SEED);
    long evalEvery = Math.max(settings.batchSize(), settings.budget() / settings.evalPoints());
    Map<String, QualityTrainer> trainers = new LinkedHashMap<>();
    List<String> batchTopics = new ArrayList<>();
    TrainerAdmin admin = new TrainerAdmin(service.config(), topics);
    for (String policy : settings.policies()) {
      for (int s = 0; s < settings.seeds(); s++) {
        long seed = 1000L + s;
        String id = d.name() + "-" + policy + "-s" + s;
        trainers.put(
            id,
            new QualityTrainer(
                id,
                policy,
                seed,
                d,
                settings.learningRate(),
                projection,
                settings.budget(),
                evalEvery));
        // extra parameters go to every trainer: each policy reads only its own keys
        Map<String, String> params = new LinkedHashMap<>(settings.policyParams());
        if ("equitable".equals(policy)) {
          params.put("equitable.attribute", d.groupAttribute());
        }
        // a spec naming parameters its policy does not know is refused: keep this policy's own
        params.keySet().removeAll(io.sieve.plan.TrainerSpecs.paramNames(policy, params).unknown());
        admin.put(
            TrainerSpec.newBuilder()
                .setTrainerId(id)
                .setPolicy(policy)
                .setBatchSize(settings.batchSize())
                .setWindow(2)
                .setSeed(seed)
                .setParams(params)
                .build());
        batchTopics.add(topics.batchTopic(id));
      }
    }
    out.printf(
        "[%s] %d trainers declared (%s × %d seeds), budget %,d examples each in batches of %d%n",
        d.name(),
        trainers.size(),
        String.join(", ", settings.policies()),
        settings.seeds(),
        settings.budget(),
        settings.batchSize());
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "quality-trainers-" + d.name());
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);
    c.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    String feedbackTopic = topics.feedback().name();
    long started = System.nanoTime();
    long lastProgress = System.nanoTime();
    long nextReport = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    try (KafkaConsumer<String, byte[]> consumer =
            new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      consumer.subscribe(batchTopics);
      while (trainers.values().stream().anyMatch(t -> !t.done())) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          TrainingBatch batch =
              service.serdes().deserialize(r.topic(), r.value(), TrainingBatch.class);
          QualityTrainer t = trainers.get(batch.getTrainerId());
          if (t == null || t.done()) {
            continue; // past the budget: not acknowledged, so no more batches are planned
          }
          TrainerFeedback feedback = t.train(batch);
          producer.send(
              new ProducerRecord<>(
                  feedbackTopic,
                  t.trainerId(),
                  service.serdes().serialize(feedbackTopic, feedback)));
          lastProgress = System.nanoTime();
        }
        if (System.nanoTime() >= nextReport) {
          long consumed = trainers.values().stream().mapToLong(QualityTrainer::consumed).sum();
          out.printf(
              "[%s] %5.0fs  %,d of %,d examples consumed across trainers%n",
              d.name(),
              (System.nanoTime() - started) / 1e9,
              consumed,
              (long) settings.budget() * trainers.size());
          nextReport += Duration.ofSeconds(15).toNanos();
        }
        if (System.nanoTime() - lastProgress > settings.stallTimeout().toNanos()) {
          List<String> stuck =
              trainers.values().stream()
                  .filter(t -> !t.done())
                  .map(t -> t.trainerId() + " (" + t.consumed() + ")")
                  .toList();
          out.printf(
              "[%s] no batch for %s; stopping with unfinished trainers: %s%n",
              d.name(), settings.stallTimeout(), stuck);
          break;
        }
      }
      producer.flush();
    }
    for (QualityTrainer t : trainers.values()) {
      admin.delete(t.trainerId());
    }
    return new ArrayList<>(trainers.values());
  }

  private Map<String, Object> settingsMap() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("datasets", settings.datasets());
    s.put("policies", settings.policies());
    s.put("seeds", settings.seeds());
    s.put("budget", settings.budget());
    s.put("batchSize", settings.batchSize());
    s.put("streamSize", settings.streamSize());
    s.put("testSize", settings.testSize());
    s.put("evalPoints", settings.evalPoints());
    s.put("learningRate", settings.learningRate());
    s.put("targetFraction", settings.targetFraction());
    s.put("dataSeed", settings.dataSeed());
    s.put("window", 2);
    s.put("policyParams", settings.policyParams());
    s.put("trainer", "softmax regression, Adam, one step per batch, weights N(0, 0.01²) seeded");
    s.put("vendi", "SecondMoment on a RandomProjection to 32 dims, of every example consumed");
    s.put("cores", Runtime.getRuntime().availableProcessors());
    return s;
  }

  @SuppressWarnings("unchecked")
  private void write(Map<String, Object> report, Map<String, Object> perDataset)
      throws IOException {
    StringBuilder md = new StringBuilder();
    for (Map.Entry<String, Object> e : perDataset.entrySet()) {
      md.append(Summary.markdown(e.getKey(), (Map<String, Object>) e.getValue(), settings));
      md.append('\n');
    }
    out.println();
    out.print(md);
    if (settings.reportDir() == null) {
      return;
    }
    Files.createDirectories(settings.reportDir());
    Files.writeString(settings.reportDir().resolve("quality.md"), md.toString());
    new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(settings.reportDir().resolve("quality.json").toFile(), report);
    for (Map.Entry<String, Map<String, Plots.Curve>> e : curves.entrySet()) {
      Plots.accuracy(
          settings.reportDir().resolve("quality-" + e.getKey() + ".png"),
          String.format(
              "%s: test accuracy vs examples consumed (%d seeds, batches of %d)",
              e.getKey(), settings.seeds(), settings.batchSize()),
          e.getValue());
    }
    out.printf("Report written to %s%n", settings.reportDir().toAbsolutePath());
  }
}
