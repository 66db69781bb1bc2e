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
import io.sieve.embedded.BrokerProcess;
import io.sieve.embedded.RegistryServer;
import io.sieve.embedded.ShutdownCleanup;
import io.sieve.embedded.WorkDir;
import io.sieve.registry.RestSchemaRegistry;
import io.sieve.serde.AvroSerdes;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
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
import org.apache.kafka.streams.Topology;

/**
 * The performance benchmark. Ingest: the full topology against two baselines with the same Avro in
 * and out, exactly-once, on the same broker in the same run: a passthrough (decode and encode) and
 * the passthrough plus one changelogged RocksDB put per record. The three run in alternating order
 * (P S F, then F S P, ...) so that a drift of the machine falls on every side alike, and each ratio
 * is taken within one repetition. Every run first consumes a seed prefix (which bootstraps Sieve's
 * centroid model) and is timed only from there to the end of the stream, so the timing is of steady
 * state with the model in place. The cases cover the fill phase at k = 16 and k = 256, the
 * reservoir phase (pools full), and a stream with near duplicates. The broker runs in a child
 * process of its own, so this process's CPU figures are Sieve's (or the baseline's) alone.
 *
 * <p>Latency is measured on the trainer's side: a trainer with window 2 steps at a fixed rate (10
 * batches/s by default) and acknowledges each batch after its step; credit → batch is the time from
 * sending an acknowledgement to receiving the batch that its credit allowed, and stall is the time
 * the trainer, ready for its next batch, waits for it. Fresh examples keep arriving, with current
 * timestamps, during the run.
 */
public final class Benchmark {

  /** One ingest setting: k clusters, a per-cluster pool cap, a share of near-duplicate records. */
  record Case(String name, int k, int capacityPerCluster, double nearDuplicateShare) {}

  static final List<Case> CASES =
      List.of(
          new Case("fill-k16", 16, 1_000_000, 0),
          new Case("fill-k256", 256, 1_000_000, 0),
          new Case("reservoir-k16", 16, 100, 0),
          new Case("near-duplicates-k16", 16, 1_000_000, 0.3));

  /** Options of a run; see {@code sieve bench --help}. */
  public record Options(
      int records,
      int seedRecords,
      int repetitions,
      int dimension,
      List<String> cases,
      int batchSize,
      int window,
      boolean packed,
      int latencyBatches,
      double stepsPerSecond,
      Duration latencyLimit,
      int poolRecords,
      Map<String, String> settings,
      Path reportDir,
      boolean profile) {

    public Options {
      settings = Map.copyOf(settings);
    }
  }

  private enum Kind {
    PASSTHROUGH,
    STORE,
    FULL
  }

  private final Options o;
  private final PrintStream out;
  private boolean warmedUp;

  public Benchmark(Options options, PrintStream out) {
    this.o = options;
    this.out = out;
  }

  public Map<String, Object> run() throws Exception {
    // closed also on SIGTERM or Ctrl-C: the broker and registry processes and the work directory
    try (ShutdownCleanup cleanup = ShutdownCleanup.install("sieve-bench-cleanup")) {
      WorkDir dir = cleanup.add(WorkDir.create("sieve-bench-"));
      BrokerProcess kafka = cleanup.add(BrokerProcess.start(dir.resolve("broker"), "1g"));
      RegistryServer registry =
          cleanup.add(RegistryServer.start(RegistryServer.locate(), dir.resolve("registry.log")));
      Path work = dir.path();
      AvroSerdes serdes = new AvroSerdes(new RestSchemaRegistry(registry.url()));
      if (o.profile()) {
        if (o.reportDir() != null) {
          Files.createDirectories(o.reportDir());
        }
        // The first recording of a JVM invalidates its compiled code (a JVMTI state change): taken
        // here, before any topology runs, it does not leave a timed run in the interpreter.
        try (Recording first = startRecording()) {
          first.stop();
        }
      }
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("records", o.records());
      result.put("seedRecords", o.seedRecords());
      result.put("dimension", o.dimension());
      result.put("repetitions", o.repetitions());
      result.put("processingGuarantee", StreamsConfig.EXACTLY_ONCE_V2);
      result.put("cores", Runtime.getRuntime().availableProcessors());
      result.put("settings", new TreeMap<>(o.settings()));
      result.put("broker", "child process (pid " + kafka.pid() + ")");
      Map<String, Object> cases = new LinkedHashMap<>();
      for (Case c : CASES) {
        if (o.cases().contains(c.name()) || o.cases().contains("all")) {
          cases.put(c.name(), runCase(c, kafka, registry, work, serdes));
        }
      }
      result.put("ingest", cases);
      if (o.latencyBatches() > 0) {
        // the floor under a release: one bare transaction, as small as feedback and as large as
        // a batch of the latency run, on the same broker (no Kafka Streams, no Sieve)
        Map<String, Object> floor = new LinkedHashMap<>();
        // a batch-sized one as a consumed record's hop: offsets in the transaction, as a release
        // (with the client's default retry backoff and with Sieve's)
        int batchBytes = o.batchSize() * (o.dimension() * 4 + 200);
        floor.put("small", HopFloor.measure(kafka, "bench.hop-floor.small", 300, 1_000, false, 0));
        floor.put(
            "batchSized",
            HopFloor.measure(kafka, "bench.hop-floor.batch", 300, batchBytes, false, 0));
        floor.put(
            "consumedBatchSized",
            HopFloor.measure(kafka, "bench.hop-floor.consumed", 300, batchBytes, true, 0));
        floor.put(
            "consumedBatchSizedSieveBackoff",
            HopFloor.measure(
                kafka,
                "bench.hop-floor.consumed-backoff",
                300,
                batchBytes,
                true,
                SieveConfig.PRODUCER_RETRY_BACKOFF_MS));
        result.put("transactionalHopFloor", floor);
        result.put("latency", runLatency(kafka, registry, work, serdes));
      }
      if (o.poolRecords() > 0) {
        result.put("footprint", runFootprint(kafka, registry, work, serdes));
      }
      report(result);
      return result;
    }
  }

  private Map<String, Object> runCase(
      Case c, BrokerProcess kafka, RegistryServer registry, Path work, AvroSerdes serdes)
      throws Exception {
    String topic = "bench." + c.name() + ".examples";
    SieveConfig base = config(kafka, registry, work, "bench-" + c.name() + "-setup", c, topic);
    kafka.createTopic("bench.out", base.partitions(), Map.of());
    out.printf(
        "%n[%s] %,d + %,d seed examples (d=%d, ~200-char text, 3 groups, k=%d, %.0f%%"
            + " near duplicates)...%n",
        c.name(), o.records(), o.seedRecords(), o.dimension(), c.k(), c.nearDuplicateShare() * 100);
    // serialized once; each run gets a topic of its own holding the seed prefix, and the timed
    // records only once the run has taken in the whole prefix (see timeOne)
    Serialized records =
        serialize(serdes, topic, new Examples(c, 17), o.seedRecords() + o.records());
    Map<Kind, List<Map<String, Double>>> runs = new LinkedHashMap<>();
    for (Kind kind : Kind.values()) {
      runs.put(kind, new ArrayList<>());
    }
    List<Double> ratioPassthrough = new ArrayList<>();
    List<Double> ratioStore = new ArrayList<>();
    IngestProfile.Tally profile = new IngestProfile.Tally();
    if (!warmedUp) {
      // the JVM's first run would meet cold code (the Avro serdes, the clients, Kafka Streams):
      // the passthrough measured first ran at 62-101 us of stream-thread CPU a record against
      // 12-16 us once warm, which flattered the first repetition's ratios; one untimed run first
      String app = "bench-" + c.name() + "-warm-up";
      String in = "bench." + app + ".examples";
      kafka.createTopic(in, base.partitions(), Map.of());
      send(kafka.bootstrapServers(), in, records, 0, o.seedRecords());
      Map<String, Double> m =
          timeOne(
              Kind.PASSTHROUGH,
              config(kafka, registry, work, app, c, in),
              serdes,
              in,
              () -> send(kafka.bootstrapServers(), in, records, o.seedRecords(), records.size()),
              null);
      warmedUp = true;
      out.printf(
          "  warm-up passthrough %,8.0f records/s (not counted)%n", m.get("recordsPerSecond"));
    }
    for (int rep = 1; rep <= o.repetitions(); rep++) {
      List<Kind> order =
          rep % 2 == 1
              ? List.of(Kind.PASSTHROUGH, Kind.STORE, Kind.FULL)
              : List.of(Kind.FULL, Kind.STORE, Kind.PASSTHROUGH);
      Map<Kind, Double> rates = new LinkedHashMap<>();
      for (Kind kind : order) {
        String app = "bench-" + c.name() + "-" + kind.name().toLowerCase() + "-" + rep;
        String in = "bench." + app + ".examples";
        SieveConfig config = config(kafka, registry, work, app, c, in);
        kafka.createTopic(in, base.partitions(), Map.of());
        send(kafka.bootstrapServers(), in, records, 0, o.seedRecords());
        // the full topology's timed part recorded with JFR when asked: its samples say where the
        // time goes (IngestProfile), the recording is kept beside the report
        Path recording =
            o.profile() && kind == Kind.FULL
                ? (o.reportDir() != null ? o.reportDir() : work).resolve("profile-" + app + ".jfr")
                : null;
        Map<String, Double> m =
            timeOne(
                kind,
                config,
                serdes,
                in,
                () -> send(kafka.bootstrapServers(), in, records, o.seedRecords(), records.size()),
                recording);
        if (recording != null) {
          IngestProfile.read(recording, app, profile);
        }
        runs.get(kind).add(m);
        rates.put(kind, m.get("recordsPerSecond"));
        out.printf(
            "  rep %d %-11s %,8.0f records/s, stream threads %,6.1f us CPU per record (%,.1f"
                + " user)%n",
            rep,
            kind.name().toLowerCase(),
            m.get("recordsPerSecond"),
            m.get("streamThreadCpuMicrosPerRecord"),
            m.get("streamThreadUserMicrosPerRecord"));
      }
      ratioPassthrough.add(rates.get(Kind.FULL) / rates.get(Kind.PASSTHROUGH));
      ratioStore.add(rates.get(Kind.FULL) / rates.get(Kind.STORE));
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("k", c.k());
    r.put("capacityPerCluster", c.capacityPerCluster());
    r.put("nearDuplicateShare", c.nearDuplicateShare());
    for (Kind kind : Kind.values()) {
      List<Double> rates = runs.get(kind).stream().map(m -> m.get("recordsPerSecond")).toList();
      List<Double> cpu =
          runs.get(kind).stream().map(m -> m.get("streamThreadCpuMicrosPerRecord")).toList();
      String key = kind.name().toLowerCase();
      r.put(key + "RecordsPerSecond", rounded(rates));
      r.put(key + "Median", Math.round(median(rates)));
      r.put(key + "StreamThreadCpuMicrosPerRecordMedian", round1(median(cpu)));
      r.put(
          key + "StreamThreadUserMicrosPerRecordMedian",
          round1(
              median(
                  runs.get(kind).stream()
                      .map(m -> m.get("streamThreadUserMicrosPerRecord"))
                      .toList())));
      r.put(
          key + "ProcessCpuMicrosPerRecordMedian",
          round1(
              median(
                  runs.get(kind).stream().map(m -> m.get("processCpuMicrosPerRecord")).toList())));
    }
    for (String kind : List.of("changelog", "repartition", "output")) {
      for (String unit : List.of("RecordsPerRecord", "BytesPerRecord")) {
        List<Double> v =
            runs.get(Kind.FULL).stream()
                .map(m -> m.getOrDefault(kind + unit, Double.NaN))
                .filter(d -> !d.isNaN())
                .toList();
        if (!v.isEmpty()) {
          r.put(
              "full" + Character.toUpperCase(kind.charAt(0)) + kind.substring(1) + unit,
              round1(median(v)));
        }
      }
    }
    // by topic, from the last repetition: where the writes go
    Map<String, List<Double>> byTopic = new java.util.TreeMap<>();
    runs.get(Kind.FULL)
        .get(runs.get(Kind.FULL).size() - 1)
        .forEach(
            (key, value) -> {
              if (key.startsWith("topic ")) {
                String name = key.substring(6).replaceAll("(RecordsPerRecord|BytesPerRecord)$", "");
                byTopic
                    .computeIfAbsent(name, t -> new ArrayList<>(List.of(0.0, 0.0)))
                    .set(key.endsWith("RecordsPerRecord") ? 0 : 1, round3(value));
              }
            });
    r.put("fullWritesPerRecordByTopic", byTopic);
    r.put("ratioFullToPassthroughPerRep", ratios(ratioPassthrough));
    r.put("ratioFullToPassthroughMedian", round3(median(ratioPassthrough)));
    if (profile.samples() > 0) {
      Map<String, Object> shares = profile.shares();
      r.put("fullProfile", shares);
      printProfile(shares);
    }
    r.put("ratioFullToStoreBaselinePerRep", ratios(ratioStore));
    r.put("ratioFullToStoreBaselineMedian", round3(median(ratioStore)));
    return r;
  }

  /**
   * Runs one topology over its topic, which holds the seed prefix: once the topology has taken in
   * the whole prefix (for Sieve: every example pooled or dropped, so the model is bootstrapped and
   * every stage idle), it is paused, the timed records are written ({@code timed}), and it is timed
   * from its resumption to the end of the stream. Written before the start, the timed records would
   * run through Sieve's first stages (validation, deduplication, assignment) while its pool still
   * waited for the model, and the clock, started once the prefix was pooled, would miss that work.
   */
  private Map<String, Double> timeOne(
      Kind kind, SieveConfig config, AvroSerdes serdes, String in, Runnable timed, Path recording)
      throws Exception {
    if (kind == Kind.FULL) {
      try (SieveService service = new SieveService(config)) {
        service.start();
        return timeUntil(
            service.streams(),
            () ->
                service.metrics().pooledCount()
                    + service.metrics().duplicates()
                    + service.metrics().nearDuplicates(),
            true,
            timed,
            recording);
      }
    }
    LongAdder count = new LongAdder();
    Topic<String, TrainingExample> inTopic =
        new Topic<>(in, Serdes.String(), serdes.forClass(TrainingExample.class, false));
    Topic<String, TrainingExample> outTopic =
        new Topic<>("bench.out", Serdes.String(), serdes.forClass(TrainingExample.class, false));
    Topology topology =
        kind == Kind.PASSTHROUGH
            ? Passthrough.build(inTopic, outTopic, count)
            : StorePassthrough.build(inTopic, outTopic, count);
    try (KafkaStreams streams = new KafkaStreams(topology, config.streamsProperties())) {
      return timeUntil(streams, count::sum, false, timed, null);
    }
  }

  private SieveConfig config(
      BrokerProcess kafka, RegistryServer registry, Path work, String app, Case c, String topic) {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put(SieveConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(SieveConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
    props.put(SieveConfig.APPLICATION_ID_CONFIG, app);
    props.put(SieveConfig.STATE_DIR_CONFIG, work.resolve("state-" + app).toString());
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, o.dimension());
    props.put(SieveConfig.TOPIC_EXAMPLES_CONFIG, topic);
    props.put(SieveConfig.TOPIC_TRAINERS_CONFIG, "bench." + app + ".trainers");
    props.put(SieveConfig.TOPIC_FEEDBACK_CONFIG, "bench." + app + ".feedback");
    props.put(SieveConfig.TOPIC_TRAINER_CONTROLS_CONFIG, "bench." + app + ".trainer-controls");
    props.put(SieveConfig.TOPIC_CENTROIDS_CONFIG, "bench." + app + ".centroids");
    props.put(SieveConfig.TOPIC_CLUSTER_STATS_CONFIG, "bench." + app + ".cluster-stats");
    props.put(SieveConfig.TOPIC_MANIFESTS_CONFIG, "bench." + app + ".manifests");
    props.put(SieveConfig.TOPIC_DEAD_LETTERS_CONFIG, "bench." + app + ".dead-letters");
    props.put(SieveConfig.TOPIC_BATCHES_PREFIX_CONFIG, "bench." + app + ".batches.");
    props.put(SieveConfig.POOL_CAPACITY_CONFIG, c.capacityPerCluster());
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, c.k());
    props.put(SieveConfig.CLUSTER_K_MAX_CONFIG, c.k());
    // the model is bootstrapped within the seed prefix, before the timed part of the stream
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, Math.max(c.k() * 4, o.seedRecords() / 2));
    // the user's settings (--set) last: Sieve's keys, or Kafka Streams' under "streams."
    props.putAll(o.settings());
    return new SieveConfig(props);
  }

  /**
   * Records shaped like training examples, around {@code k} Gaussian centres; a share of them near
   * copies (cosine above 0.99) of earlier records.
   */
  private void produce(
      String bootstrap, AvroSerdes serdes, String topic, int count, Case c, long seed) {
    // in chunks, so that a footprint run of a million examples never holds them all
    Examples examples = new Examples(c, seed);
    for (int done = 0; done < count; ) {
      int chunk = Math.min(10_000, count - done);
      Serialized records = serialize(serdes, topic, examples, chunk);
      send(bootstrap, topic, records, 0, chunk);
      done += chunk;
    }
  }

  /** Keys and Avro values of a case's examples, serialized once (under {@code topic}'s subject). */
  private record Serialized(String[] keys, byte[][] values) {
    int size() {
      return keys.length;
    }
  }

  /** A case's examples in their order: around k centres, a share of them near copies. */
  private final class Examples {
    private final Case c;
    private final long seed;
    private final Random rng;
    private final Generator gen;
    private final List<TrainingExample> recent = new ArrayList<>();
    private int n;

    Examples(Case c, long seed) {
      this.c = c;
      this.seed = seed;
      this.rng = new Random(seed);
      this.gen = new Generator(rng, o.dimension(), c.k());
    }

    TrainingExample next() {
      TrainingExample ex =
          !recent.isEmpty() && rng.nextDouble() < c.nearDuplicateShare()
              ? gen.nearCopy("e" + seed + "-" + n, recent.get(rng.nextInt(recent.size())))
              : gen.next("e" + seed + "-" + n);
      n++;
      if (recent.size() < 2_000) {
        recent.add(ex);
      } else {
        recent.set(rng.nextInt(recent.size()), ex);
      }
      return ex;
    }
  }

  private static Serialized serialize(
      AvroSerdes serdes, String topic, Examples examples, int count) {
    String[] keys = new String[count];
    byte[][] values = new byte[count][];
    for (int i = 0; i < count; i++) {
      TrainingExample ex = examples.next();
      keys[i] = ex.getId();
      values[i] = serdes.serialize(topic, ex);
    }
    return new Serialized(keys, values);
  }

  /**
   * Writes records {@code [from, to)} to {@code topic} and waits until the broker has them all; a
   * record the producer gave up on fails the run rather than leaving it waiting for it.
   */
  private static void send(String bootstrap, String topic, Serialized records, int from, int to) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 262_144);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    // one request in flight: a batch refused by a partition whose leader has just moved is
    // retried before the next is sent, never overtaken by it
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    AtomicReference<Exception> failed = new AtomicReference<>();
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      for (int n = from; n < to && failed.get() == null; n++) {
        producer.send(
            new ProducerRecord<>(topic, records.keys()[n], records.values()[n]),
            (meta, e) -> {
              if (e != null) {
                failed.compareAndSet(null, e);
              }
            });
      }
      producer.flush();
    }
    if (failed.get() != null) {
      throw new IllegalStateException("could not write the examples to " + topic, failed.get());
    }
  }

  /**
   * Starts the app, waits until it has taken in the seed prefix, pauses it while {@code rest}
   * writes the rest of the stream, and times it from its resumption to the end of the stream.
   */
  private Map<String, Double> timeUntil(
      KafkaStreams streams, LongSupplier done, boolean writes, Runnable rest, Path recording)
      throws Exception {
    if (streams.state() == KafkaStreams.State.CREATED) {
      streams.start();
    }
    long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
    int total = o.seedRecords() + o.records();
    while (done.getAsLong() < o.seedRecords() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    if (done.getAsLong() < o.seedRecords()) {
      throw new IllegalStateException(
          "only " + done.getAsLong() + " of " + o.seedRecords() + " seed records after 30 minutes");
    }
    streams.pause();
    rest.run();
    // started while the app is paused, so that starting it costs the timed part nothing
    Recording jfr = recording == null ? null : startRecording();
    streams.resume();
    long start = System.nanoTime();
    long startSeen = done.getAsLong();
    long cpu0 = processCpuNanos();
    long threads0 = streamThreadCpuNanos();
    long user0 = streamThreadUserNanos();
    Map<String, double[]> written0 = writes ? written(streams) : Map.of();
    double seconds;
    long timed;
    long cpu;
    long threads;
    long user;
    try {
      while (done.getAsLong() < total && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      seconds = (System.nanoTime() - start) / 1e9;
      timed = done.getAsLong() - startSeen;
      cpu = processCpuNanos() - cpu0;
      threads = streamThreadCpuNanos() - threads0;
      user = streamThreadUserNanos() - user0;
    } finally {
      // stopped after the clock, so that writing the recording is not timed
      if (jfr != null) {
        jfr.stop();
        jfr.dump(recording);
        jfr.close();
      }
    }
    if (done.getAsLong() < total) {
      throw new IllegalStateException(
          "only " + done.getAsLong() + " of " + total + " records after 30 minutes");
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("recordsPerSecond", timed / seconds);
    m.put("processCpuMicrosPerRecord", cpu / 1e3 / timed);
    m.put("streamThreadCpuMicrosPerRecord", threads / 1e3 / timed);
    m.put("streamThreadUserMicrosPerRecord", user / 1e3 / timed);
    if (writes) {
      // what the topology wrote per record in the timed part: every changelogged put and every
      // repartitioned record is a send in the stream thread's transaction
      Map<String, double[]> written1 = written(streams);
      for (Map.Entry<String, double[]> e : written1.entrySet()) {
        double[] before = written0.getOrDefault(e.getKey(), new double[2]);
        String kind = e.getKey();
        m.merge(kind + "RecordsPerRecord", (e.getValue()[0] - before[0]) / timed, Double::sum);
        m.merge(kind + "BytesPerRecord", (e.getValue()[1] - before[1]) / timed, Double::sum);
      }
    }
    return m;
  }

  private Map<String, Object> runLatency(
      BrokerProcess kafka, RegistryServer registry, Path work, AvroSerdes serdes) throws Exception {
    Case c = CASES.get(0);
    String topic = "bench.latency.examples";
    SieveConfig config = config(kafka, registry, work, "bench-latency", c, topic);
    kafka.createTopic(topic, config.partitions(), Map.of());
    int prefill = Math.max(o.seedRecords(), o.batchSize() * 8);
    produce(kafka.bootstrapServers(), serdes, topic, prefill, c, 29);
    Map<Long, Long> receivedAt = new ConcurrentHashMap<>();
    Map<Long, Long> creditAt = new ConcurrentHashMap<>();
    List<Long> creditToBatch = new ArrayList<>();
    long stallNanos = 0;
    long wallStart;
    long wallNanos;
    int done = 0;
    AtomicBoolean running = new AtomicBoolean(true);
    try (SieveService service = new SieveService(config)) {
      service.start();
      while (service.metrics().pooledCount() < prefill) {
        Thread.sleep(20);
      }
      Topics topics = service.topics();
      String batches = topics.batchTopic("bench");
      String feedback = topics.feedback().name();
      // fresh examples keep arriving, stamped now, while the trainer runs
      Thread feeder =
          new Thread(
              () -> feed(kafka.bootstrapServers(), serdes, topic, c, running), "bench-feeder");
      feeder.setDaemon(true);
      feeder.start();
      Thread reader =
          new Thread(
              () -> read(kafka.bootstrapServers(), serdes, batches, receivedAt, running),
              "bench-batch-reader");
      reader.setDaemon(true);
      reader.start();
      long specAt = System.nanoTime();
      new TrainerAdmin(config, topics)
          .put(
              TrainerSpec.newBuilder()
                  .setTrainerId("bench")
                  .setPolicy("uniform")
                  .setBatchSize(o.batchSize())
                  .setWindow(o.window())
                  .setPackedEmbeddings(o.packed())
                  .build());
      long specWall = System.currentTimeMillis();
      for (long s = 0; s < o.window(); s++) {
        creditAt.put(s, specAt);
        creditWall.put(s, specWall);
      }
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
      long stepNanos = (long) (1e9 / o.stepsPerSecond());
      try (KafkaProducer<String, byte[]> producer =
          new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
        // the first batch is the spec's, not a credit's: the clock starts when it is in
        while (!receivedAt.containsKey(0L)) {
          Thread.sleep(1);
        }
        wallStart = System.nanoTime();
        long limit = wallStart + o.latencyLimit().toNanos();
        for (long seq = 0; seq < o.latencyBatches() && System.nanoTime() < limit; seq++) {
          long ready = System.nanoTime();
          while (!receivedAt.containsKey(seq) && System.nanoTime() < limit) {
            Thread.onSpinWait();
            Thread.sleep(0, 200_000);
          }
          if (!receivedAt.containsKey(seq)) {
            break;
          }
          stallNanos += Math.max(0, receivedAt.get(seq) - ready);
          if (seq >= o.window()) {
            creditToBatch.add(Math.max(0, receivedAt.get(seq) - creditAt.get(seq)));
          }
          long stepEnd = Math.max(ready, receivedAt.get(seq)) + stepNanos;
          while (System.nanoTime() < stepEnd) {
            Thread.sleep(1);
          }
          creditAt.put(seq + o.window(), System.nanoTime());
          creditWall.put(seq + o.window(), System.currentTimeMillis());
          TrainerFeedback fb =
              TrainerFeedback.newBuilder()
                  .setTrainerId("bench")
                  .setBatchId(batchIds.get(seq))
                  .build();
          producer.send(new ProducerRecord<>(feedback, "bench", serdes.serialize(feedback, fb)));
          done++;
        }
        wallNanos = System.nanoTime() - wallStart;
      } finally {
        running.set(false);
      }
      feeder.join(10_000);
      reader.join(10_000);
    }
    List<Long> sorted = new ArrayList<>(creditToBatch);
    sorted.sort(Comparator.naturalOrder());
    Map<String, Object> l = new LinkedHashMap<>();
    l.put("batchSize", o.batchSize());
    l.put("window", o.window());
    l.put("packedEmbeddings", o.packed());
    l.put("trainerStepsPerSecond", o.stepsPerSecond());
    l.put("batches", done);
    l.put("creditToBatchP50Ms", millis(percentile(sorted, 0.50)));
    l.put("creditToBatchP99Ms", millis(percentile(sorted, 0.99)));
    l.put("creditToBatchMaxMs", sorted.isEmpty() ? null : millis(sorted.get(sorted.size() - 1)));
    l.put("stallShareOfWallTime", round3((double) stallNanos / Math.max(1, wallNanos)));
    // where credit → batch goes, from the batches' own stamps (wall clock, milliseconds). A batch
    // assembled before its credit came was waiting, staged: its credit → batch is the release
    // alone; the others waited for the batch path (plan, fulfil, assemble) as well
    List<Long> toPlanned = new ArrayList<>();
    List<Long> toAssembled = new ArrayList<>();
    List<Long> toReceived = new ArrayList<>();
    List<Long> releaseOnly = new ArrayList<>();
    List<Long> toReleased = new ArrayList<>();
    List<Long> releasedToReceived = new ArrayList<>();
    List<Long> assembledAt = new ArrayList<>();
    for (long seq = o.window(); seq < done; seq++) {
      long[] st = stamps.get(seq);
      Long credit = creditWall.get(seq);
      if (st == null || credit == null) {
        continue;
      }
      toPlanned.add(Math.max(0, st[0] - credit));
      toAssembled.add(Math.max(0, st[1] - st[0]));
      toReceived.add(Math.max(0, st[2] - st[1]));
      assembledAt.add(st[1]);
      if (st[1] <= credit) {
        releaseOnly.add(Math.max(0, st[2] - credit));
        toReleased.add(Math.max(0, st[3] - credit));
        releasedToReceived.add(Math.max(0, st[2] - st[3]));
      }
    }
    for (List<Long> part :
        List.of(
            toPlanned,
            toAssembled,
            toReceived,
            releaseOnly,
            toReleased,
            releasedToReceived,
            assembledAt)) {
      part.sort(Comparator.naturalOrder());
    }
    l.put(
        "stagedBeforeCreditShare",
        round3((double) releaseOnly.size() / Math.max(1, toPlanned.size())));
    l.put("stagedCreditToBatchP50Ms", percentile(releaseOnly, 0.5));
    l.put("stagedCreditToBatchP99Ms", percentile(releaseOnly, 0.99));
    l.put("stagedCreditToReleasedP50Ms", percentile(toReleased, 0.5));
    l.put("stagedReleasedToReceivedP50Ms", percentile(releasedToReceived, 0.5));
    l.put("stagedCreditToReleasedP99Ms", percentile(toReleased, 0.99));
    l.put("stagedReleasedToReceivedP99Ms", percentile(releasedToReceived, 0.99));
    l.put(
        "assembledBatchesPerSecond",
        assembledAt.size() < 2
            ? null
            : round1(
                (assembledAt.size() - 1)
                    * 1000.0
                    / Math.max(1, assembledAt.get(assembledAt.size() - 1) - assembledAt.get(0))));
    l.put("creditToPlannedP50Ms", percentile(toPlanned, 0.5));
    l.put("plannedToAssembledP50Ms", percentile(toAssembled, 0.5));
    l.put("assembledToReceivedP50Ms", percentile(toReceived, 0.5));
    l.put("wallSeconds", round1(wallNanos / 1e9));
    return l;
  }

  /** Credit times by sequence, wall clock, to compare with the batches' own stamps. */
  private final Map<Long, Long> creditWall = new ConcurrentHashMap<>();

  /**
   * Per sequence: the batch's plannedAt, assembledAt, when it was read and its record's timestamp
   * (when the planner released it), epoch ms.
   */
  private final Map<Long, long[]> stamps = new ConcurrentHashMap<>();

  /** Batch ids by sequence, as the reader thread saw them. */
  private final Map<Long, String> batchIds = new ConcurrentHashMap<>();

  /** Produces fresh examples at about 200 per second until {@code running} turns false. */
  private void feed(
      String bootstrap, AvroSerdes serdes, String topic, Case c, AtomicBoolean running) {
    Generator gen = new Generator(new Random(31), o.dimension(), c.k());
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      for (long n = 0; running.get(); n++) {
        TrainingExample ex = gen.next("fresh-" + n);
        producer.send(new ProducerRecord<>(topic, ex.getId(), serdes.serialize(topic, ex)));
        if (n % 20 == 19) {
          Thread.sleep(100);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Reads the trainer's batches as they become visible (read_committed), noting the time. */
  private void read(
      String bootstrap,
      AvroSerdes serdes,
      String topic,
      Map<Long, Long> receivedAt,
      AtomicBoolean running) {
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-trainer");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);
    c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5);
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      while (running.get()) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(20))) {
          long now = System.nanoTime();
          TrainingBatch b = serdes.deserialize(topic, r.value(), TrainingBatch.class);
          batchIds.put(b.getSequence(), b.getBatchId());
          stamps.putIfAbsent(
              b.getSequence(),
              new long[] {
                b.getPlannedAt().toEpochMilli(),
                b.getAssembledAt().toEpochMilli(),
                System.currentTimeMillis(),
                r.timestamp()
              });
          receivedAt.putIfAbsent(b.getSequence(), now);
        }
      }
    }
  }

  /** The full topology over a large pool: heap, RSS and RocksDB bytes per pooled example. */
  private Map<String, Object> runFootprint(
      BrokerProcess kafka, RegistryServer registry, Path work, AvroSerdes serdes) throws Exception {
    Case c = CASES.get(0);
    String topic = "bench.footprint.examples";
    SieveConfig config = config(kafka, registry, work, "bench-footprint", c, topic);
    kafka.createTopic(topic, config.partitions(), Map.of());
    out.printf("%n[footprint] producing %,d examples...%n", o.poolRecords());
    produce(kafka.bootstrapServers(), serdes, topic, o.poolRecords(), c, 43);
    Map<String, Object> f = new LinkedHashMap<>();
    long pooled;
    try (SieveService service = new SieveService(config)) {
      service.start();
      long deadline = System.nanoTime() + Duration.ofMinutes(60).toNanos();
      while (service.metrics().pooledCount() + service.metrics().duplicates() < o.poolRecords()
          && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      pooled = service.metrics().pooledCount();
      System.gc();
      f.put("pooledExamples", pooled);
      f.put(
          "heapUsedAfterGcMiB",
          ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024 * 1024));
      f.put("rssMiB", rssKib() / 1024);
    }
    // measured once the service has closed: closing flushes RocksDB's memtables, so the bytes are
    // the ones on disk, not the part still in memory right after the fill
    Path state = Path.of(config.getString(SieveConfig.STATE_DIR_CONFIG));
    long poolBytes = sizeOf(state, "pool-store");
    f.put("poolStoreMiB", poolBytes / (1024 * 1024));
    f.put("poolStoreBytesPerExample", Math.round((double) poolBytes / Math.max(pooled, 1)));
    f.put("stateDirBytesPerExample", Math.round((double) sizeOf(state, "") / Math.max(pooled, 1)));
    f.put("note", "this process only: the broker runs in a child process; disk after close");
    return f;
  }

  private void report(Map<String, Object> result) throws IOException {
    out.println();
    out.println(
        "| case | passthrough rec/s | + store put rec/s | full Sieve rec/s | full / passthrough"
            + " (per rep; median) | full / store (median) | stream-thread CPU us/record P / S /"
            + " F |");
    out.println("|---|---|---|---|---|---|---|");
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> cases =
        (Map<String, Map<String, Object>>) result.get("ingest");
    for (Map.Entry<String, Map<String, Object>> e : cases.entrySet()) {
      Map<String, Object> r = e.getValue();
      out.printf(
          "| %s | %,d | %,d | %,d | %s; %s | %s | %s / %s / %s |%n",
          e.getKey(),
          r.get("passthroughMedian"),
          r.get("storeMedian"),
          r.get("fullMedian"),
          r.get("ratioFullToPassthroughPerRep"),
          r.get("ratioFullToPassthroughMedian"),
          r.get("ratioFullToStoreBaselineMedian"),
          r.get("passthroughStreamThreadCpuMicrosPerRecordMedian"),
          r.get("storeStreamThreadCpuMicrosPerRecordMedian"),
          r.get("fullStreamThreadCpuMicrosPerRecordMedian"));
    }
    for (Map.Entry<String, Map<String, Object>> e : cases.entrySet()) {
      Map<String, Object> r = e.getValue();
      out.printf(
          "%s, full topology, written per ingested record: changelog %s records / %s bytes,"
              + " repartition %s / %s, output %s / %s%n",
          e.getKey(),
          r.get("fullChangelogRecordsPerRecord"),
          r.get("fullChangelogBytesPerRecord"),
          r.get("fullRepartitionRecordsPerRecord"),
          r.get("fullRepartitionBytesPerRecord"),
          r.get("fullOutputRecordsPerRecord"),
          r.get("fullOutputBytesPerRecord"));
      @SuppressWarnings("unchecked")
      Map<String, List<Double>> byTopic =
          (Map<String, List<Double>>) r.get("fullWritesPerRecordByTopic");
      byTopic.forEach(
          (topic, v) -> out.printf("    %s: %s records / %s bytes%n", topic, v.get(0), v.get(1)));
    }
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> floor =
        (Map<String, Map<String, Object>>) result.get("transactionalHopFloor");
    if (floor != null) {
      out.printf(
          "%nOne bare transactional hop on this broker (no Sieve), send -> read_committed"
              + " (consumed: from the sending of a record that a consumer reads, whose offset"
              + " the transaction commits):%n");
      floor.forEach(
          (name, m) ->
              out.printf(
                  "  %s (%,d bytes, %s transactions): p50 %s ms, p99 %s ms (commit alone p50 %s ms,"
                      + " p99 %s ms)%n",
                  name,
                  m.get("payloadBytes"),
                  m.get("transactions"),
                  m.get("sendToReadP50Ms"),
                  m.get("sendToReadP99Ms"),
                  m.get("commitP50Ms"),
                  m.get("commitP99Ms")));
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> l = (Map<String, Object>) result.get("latency");
    if (l != null) {
      out.printf(
          "%nTrainer side (batch %s, window %s, %s, %s steps/s, %s batches): credit -> batch p50 %s"
              + " ms,"
              + " p99 %s ms, max %s ms; stall %.1f%% of %s s; p50 credit -> planned %s ms,"
              + " planned -> assembled %s ms, assembled -> received %s ms%n",
          l.get("batchSize"),
          l.get("window"),
          Boolean.TRUE.equals(l.get("packedEmbeddings")) ? "packed embeddings" : "float arrays",
          l.get("trainerStepsPerSecond"),
          l.get("batches"),
          l.get("creditToBatchP50Ms"),
          l.get("creditToBatchP99Ms"),
          l.get("creditToBatchMaxMs"),
          ((Double) l.get("stallShareOfWallTime")) * 100,
          l.get("wallSeconds"),
          l.get("creditToPlannedP50Ms"),
          l.get("plannedToAssembledP50Ms"),
          l.get("assembledToReceivedP50Ms"));
      out.printf(
          "Staged before their credit: %.0f%% of batches (credit -> batch p50 %s ms, p99 %s ms;"
              + " credit -> released p50 %s ms, p99 %s ms; released -> received p50 %s ms, p99 %s"
              + " ms); batches assembled %s/s%n",
          ((Double) l.get("stagedBeforeCreditShare")) * 100,
          l.get("stagedCreditToBatchP50Ms"),
          l.get("stagedCreditToBatchP99Ms"),
          l.get("stagedCreditToReleasedP50Ms"),
          l.get("stagedCreditToReleasedP99Ms"),
          l.get("stagedReleasedToReceivedP50Ms"),
          l.get("stagedReleasedToReceivedP99Ms"),
          l.get("assembledBatchesPerSecond"));
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> f = (Map<String, Object>) result.get("footprint");
    if (f != null) {
      out.printf(
          "%nFootprint with %,d pooled examples: heap %s MiB after GC, RSS %s MiB (broker apart),"
              + " pool store %s bytes per example, state dir %s bytes per example%n",
          f.get("pooledExamples"),
          f.get("heapUsedAfterGcMiB"),
          f.get("rssMiB"),
          f.get("poolStoreBytesPerExample"),
          f.get("stateDirBytesPerExample"));
    }
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    if (o.reportDir() != null) {
      Files.createDirectories(o.reportDir());
      Path file = o.reportDir().resolve("benchmark.json");
      json.writeValue(file.toFile(), result);
      out.printf("%nWritten to %s%n", file.toAbsolutePath());
    } else {
      out.println(json.writeValueAsString(result));
    }
  }

  /** Synthetic examples around k Gaussian centres, with ~200-char texts and 3 group attributes. */
  static final class Generator {
    private static final String[] LANGS = {"en", "de", "fr"};
    private static final String[] SOURCES = {"web", "books", "code"};
    private static final String[] REGIONS = {"eu", "na", "apac"};
    private final Random rng;
    private final int dimension;
    private final float[][] centers;

    Generator(Random rng, int dimension, int k) {
      this.rng = rng;
      this.dimension = dimension;
      // the centres come from their own seed, so that every stream of a case shares them
      Random centresRng = new Random(7_919L * k + dimension);
      this.centers = new float[k][dimension];
      for (float[] c : centers) {
        for (int i = 0; i < dimension; i++) {
          c[i] = (float) centresRng.nextGaussian();
        }
      }
    }

    TrainingExample next(String id) {
      float[] c = centers[rng.nextInt(centers.length)];
      List<Float> embedding = new ArrayList<>(dimension);
      for (int i = 0; i < dimension; i++) {
        embedding.add(c[i] + 0.3f * (float) rng.nextGaussian());
      }
      StringBuilder text = new StringBuilder(220);
      while (text.length() < 200) {
        text.append(Long.toString(rng.nextLong() & Long.MAX_VALUE, 36)).append(' ');
      }
      return TrainingExample.newBuilder()
          .setId(id)
          .setText(text.toString())
          .setEmbedding(embedding)
          .setGroups(
              Map.of(
                  "lang", LANGS[rng.nextInt(3)],
                  "source", SOURCES[rng.nextInt(3)],
                  "region", REGIONS[rng.nextInt(3)]))
          .build();
    }

    /** A re-crawl of {@code of}: its text with a word appended, its embedding jittered slightly. */
    TrainingExample nearCopy(String id, TrainingExample of) {
      List<Float> embedding = new ArrayList<>(dimension);
      for (Float v : of.getEmbedding()) {
        embedding.add(v + 0.002f * (float) rng.nextGaussian());
      }
      return TrainingExample.newBuilder(of)
          .setId(id)
          .setText(of.getText() + " " + Long.toString(rng.nextLong() & 0xffff, 36))
          .setEmbedding(embedding)
          .build();
    }
  }

  /**
   * Records and bytes the topology's producers have sent so far, summed by kind of topic
   * ("changelog", "repartition", "output") and by topic ("topic NAME"), from the producers'
   * per-topic metrics.
   */
  private static Map<String, double[]> written(KafkaStreams streams) {
    Map<String, double[]> sums = new LinkedHashMap<>();
    for (String kind : List.of("changelog", "repartition", "output")) {
      sums.put(kind, new double[2]);
    }
    streams
        .metrics()
        .forEach(
            (name, metric) -> {
              String topic = name.tags().get("topic");
              if (!"producer-topic-metrics".equals(name.group()) || topic == null) {
                return;
              }
              int field =
                  switch (name.name()) {
                    case "record-send-total" -> 0;
                    case "byte-total" -> 1;
                    default -> -1;
                  };
              if (field < 0 || !(metric.metricValue() instanceof Double v)) {
                return;
              }
              String kind =
                  topic.endsWith("-changelog")
                      ? "changelog"
                      : topic.endsWith("-repartition") ? "repartition" : "output";
              sums.get(kind)[field] += v;
              sums.computeIfAbsent("topic " + topic, t -> new double[2])[field] += v;
            });
    return sums;
  }

  /** The full topology's stages and their main kinds of work, 1 % of the samples or more. */
  @SuppressWarnings("unchecked")
  private void printProfile(Map<String, Object> shares) {
    out.printf(
        "  full topology, stream-thread samples (Java only; %s, %.1f%% interpreted): stage share,"
            + " then its work%n",
        shares.get("samples"), 100 * ((Number) shares.get("interpreted")).doubleValue());
    ((Map<String, Object>) shares.get("stages"))
        .forEach(
            (stage, v) -> {
              Map<String, Object> st = (Map<String, Object>) v;
              double share = (Double) st.get("share");
              if (share < 0.01) {
                return;
              }
              StringBuilder work = new StringBuilder();
              ((Map<String, Object>) st.get("work"))
                  .forEach(
                      (kind, w) -> {
                        if ((Double) w >= 0.01) {
                          work.append(String.format(" %s %.1f%%,", kind, 100 * (Double) w));
                        }
                      });
              out.printf(
                  "    %-34s %5.1f%%:%s%n",
                  stage,
                  100 * share,
                  work.length() > 0 ? work.substring(0, work.length() - 1) : "");
            });
  }

  /** A recording with the JDK's "profile" settings (execution samples every 10 ms). */
  private static Recording startRecording() throws IOException, ParseException {
    Recording r = new Recording(Configuration.getConfiguration("profile"));
    r.setName("sieve-bench-full");
    r.start();
    return r;
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** CPU time of the live Kafka Streams stream threads of this process. */
  private static long streamThreadCpuNanos() {
    return streamThreadNanos(false);
  }

  /**
   * User-mode CPU time of the same threads: the rest of their CPU time is the kernel's (socket
   * reads and writes, wake-ups, page faults), which a Java profile does not sample.
   */
  private static long streamThreadUserNanos() {
    return streamThreadNanos(true);
  }

  private static long streamThreadNanos(boolean userOnly) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (t != null && t.getThreadName().contains("StreamThread")) {
        long cpu =
            userOnly
                ? threads.getThreadUserTime(t.getThreadId())
                : threads.getThreadCpuTime(t.getThreadId());
        sum += Math.max(cpu, 0);
      }
    }
    return sum;
  }

  private static List<Long> rounded(List<Double> values) {
    return values.stream().map(Math::round).toList();
  }

  private static List<Double> ratios(List<Double> values) {
    return values.stream().map(Benchmark::round3).toList();
  }

  private static double round1(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private static double round3(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  private static Double millis(Long nanos) {
    return nanos == null ? null : Math.round(nanos / 1e5) / 10.0;
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(Comparator.naturalOrder());
    int n = sorted.size();
    if (n == 0) {
      return Double.NaN;
    }
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
