package io.sieve.cli;

import io.sieve.app.SieveService;
import io.sieve.avro.ClusterStats;
import io.sieve.config.SieveConfig;
import io.sieve.demo.LocalStack;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sieve local}: a broker, a schema registry and Sieve on loopback, with everything kept in
 * one directory, so that a newcomer can run Sieve on their own data with no Kafka of their own, and
 * stop and start it again where it was.
 */
@Command(
    name = "local",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a Kafka broker, a schema registry and Sieve on 127.0.0.1 with their data in one"
          + " directory, prints the addresses and the commands to use them, and runs until"
          + " Ctrl-C.",
      "Started again on the same directory it resumes: the same topics, pool, trainers and"
          + " schemas (and the same ports when they are free)."
    })
final class LocalCommand implements Callable<Integer> {

  /** The client settings that {@code local} writes for the other commands. */
  static final String CLIENT_CONFIG = "sieve.properties";

  /** Sieve settings of a local stack, sized for a first file of a few hundred examples. */
  static final Map<String, Object> DEFAULTS =
      Map.of(
          SieveConfig.APPLICATION_ID_CONFIG, "sieve-local",
          SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 100,
          SieveConfig.CLUSTER_K_INIT_CONFIG, 8);

  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(10);
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

  @Spec CommandSpec spec;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      defaultValue = "sieve-local",
      description =
          "Where the broker, the registry and Sieve keep their data (default: ./${DEFAULT-VALUE}).")
  Path dir;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description =
          "A Sieve setting, as in the properties of `run` (repeatable), e.g. --set"
              + " cluster.bootstrap.size=500.")
  Map<String, String> settings = new LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path home = dir.toAbsolutePath().normalize();
    Files.createDirectories(home);
    try (FileChannel lockFile =
            FileChannel.open(
                home.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = tryLock(lockFile)) {
      if (lock == null) {
        err.printf("Another `sieve local` is running on %s; stop it first.%n", home);
        return 2;
      }
      return runLocked(home, out, err);
    }
  }

  /** The directory's lock, or null when another process (or this one) holds it. */
  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (OverlappingFileLockException e) {
      return null;
    }
  }

  private int runLocked(Path home, PrintWriter out, PrintWriter err) throws Exception {
    Path log = QuietConsole.logTo(home.resolve("logs").resolve("sieve.log"));
    boolean resuming = Files.isRegularFile(home.resolve("kafka/logs/meta.properties"));
    out.printf(
        "%s Sieve locally in %s (Kafka's logs: %s) ...%n",
        resuming ? "Resuming" : "Starting", home, log);
    out.flush();
    Map<String, Object> props = new LinkedHashMap<>(DEFAULTS);
    props.putAll(settings);
    LocalStack.Ports preferred = LocalStack.Ports.load(home);
    LocalStack stack;
    try {
      stack = LocalStack.start(home, true, preferred, props, Duration.ofSeconds(120));
    } catch (Exception e) {
      err.printf("Sieve could not start: %s%nSee %s%n", e.getMessage(), log);
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean stopping = new AtomicBoolean();
    Thread hook =
        new Thread(
            () -> {
              stopping.set(true);
              stack.close();
              stopped.countDown();
            },
            "sieve-local-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);

    LocalStack.Ports ports = stack.ports();
    ports.save(home);
    Path clientConfig = writeClientConfig(home, stack.service().config());
    printAddresses(out, stack, preferred, ports, clientConfig, home, log);
    if (resuming) {
      out.println(resumed(stack.service()));
    }
    out.flush();
    return watch(stack.service(), stopped, stopping, out, err, log);
  }

  /** Prints progress until the stack is stopped; 1 if Sieve fails on its own. */
  private static int watch(
      SieveService service,
      CountDownLatch stopped,
      AtomicBoolean stopping,
      PrintWriter out,
      PrintWriter err,
      Path log)
      throws InterruptedException {
    String last = "";
    long nextProgress = System.nanoTime() + PROGRESS_EVERY.toNanos();
    while (!stopped.await(1, TimeUnit.SECONDS)) {
      KafkaStreams.State state = service.streams().state();
      boolean failed = state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING;
      if (failed && !stopping.get()) {
        err.printf("Sieve stopped (%s); see %s. Stopping the broker and registry.%n", state, log);
        err.flush();
        // the shutdown hook closes the rest
        return 1;
      }
      if (System.nanoTime() >= nextProgress) {
        nextProgress += PROGRESS_EVERY.toNanos();
        SieveMetrics m = service.metrics();
        String line = progress(m);
        // quiet until something happens, and while nothing changes
        if (!line.equals(last) && m.examplesIn() + m.batches() > 0) {
          out.printf("[%s] %s%n", LocalTime.now().format(CLOCK), line);
          out.flush();
          last = line;
        }
      }
    }
    return 0;
  }

  static String progress(SieveMetrics m) {
    long deadLetters = m.deadLettersByReason().values().stream().mapToLong(Long::longValue).sum();
    return String.format(
        "since start: ingested %d | pooled %d | duplicates %d | dead letters %d | batches %d",
        m.examplesIn(), m.pooledCount(), m.duplicates(), deadLetters, m.batches());
  }

  /** The client settings of this stack, for --config of ingest, trainer, tail and the trainers. */
  static Path writeClientConfig(Path home, SieveConfig config) throws IOException {
    // written by hand rather than by Properties.store, which escapes every ':' of an address
    StringBuilder text =
        new StringBuilder("# written by `sieve local` at each start: how clients reach it\n");
    text.append(SieveConfig.BOOTSTRAP_SERVERS_CONFIG)
        .append('=')
        .append(config.bootstrapServers())
        .append('\n');
    for (String key :
        List.of(
            SieveConfig.SCHEMA_REGISTRY_URL_CONFIG,
            SieveConfig.TOPIC_EXAMPLES_CONFIG,
            SieveConfig.TOPIC_TRAINERS_CONFIG,
            SieveConfig.TOPIC_FEEDBACK_CONFIG,
            SieveConfig.TOPIC_TRAINER_CONTROLS_CONFIG,
            SieveConfig.TOPIC_DEAD_LETTERS_CONFIG,
            SieveConfig.TOPIC_MANIFESTS_CONFIG,
            SieveConfig.TOPIC_BATCHES_PREFIX_CONFIG)) {
      text.append(key).append('=').append(config.getString(key)).append('\n');
    }
    Path file = home.resolve(CLIENT_CONFIG);
    Files.writeString(file, text);
    return file;
  }

  private static void printAddresses(
      PrintWriter out,
      LocalStack stack,
      LocalStack.Ports preferred,
      LocalStack.Ports ports,
      Path clientConfig,
      Path home,
      Path log) {
    SieveService service = stack.service();
    out.println();
    out.printf("  Kafka bootstrap:   %s%n", stack.kafka().bootstrapServers());
    out.printf("  Schema registry:   %s%n", stack.registry().url());
    out.printf("  REST API, metrics: %s  (/clusters, /trainers, /metrics)%n", service.restUrl());
    out.printf("  Client settings:   %s%n", clientConfig);
    out.printf("  Logs:              %s, %s%n", log, home.resolve("logs").resolve("registry.log"));
    if (!preferred.equals(LocalStack.Ports.ANY) && !preferred.equals(ports)) {
      out.printf(
          "  (some ports of the last run were taken; %s has the new addresses)%n", clientConfig);
    }
    String sieve = launcher();
    String cfg = shown(clientConfig);
    String data = shown(repoFile("examples/data/sample.jsonl"));
    String trainer = shown(repoFile("examples/python-trainer/trainer.py"));
    out.println();
    out.println("Next, in another terminal:");
    out.printf("  %s ingest --config %s --file %s%n", sieve, cfg, data);
    out.printf(
        "  %s trainer put --config %s --id t1 --policy cluster-balanced --batch-size 32%n",
        sieve, cfg);
    out.printf("  %s tail --config %s --trainer t1 --from-beginning --max 5%n", sieve, cfg);
    out.printf("  python3 %s --config %s --trainer t1 --batches 10%n", trainer, cfg);
    out.println();
    out.printf("Ctrl-C stops it; `%s local --dir %s` resumes where it was.%n", sieve, shown(home));
  }

  /** What a restart found: the trainers and the pool as they were. */
  static String resumed(SieveService service) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      try {
        TreeSet<String> trainers = new TreeSet<>();
        ReadOnlyKeyValueStore<String, Object> states =
            service
                .streams()
                .store(
                    StoreQueryParameters.fromNameAndType(
                        Stores.TRAINERS, QueryableStoreTypes.<String, Object>keyValueStore()));
        try (KeyValueIterator<String, Object> it = states.all()) {
          it.forEachRemaining(
              kv -> {
                if (kv.value != null) {
                  trainers.add(kv.key);
                }
              });
        }
        ReadOnlyKeyValueStore<Integer, ClusterStats> stats =
            service
                .streams()
                .store(
                    StoreQueryParameters.fromNameAndType(
                        Stores.CLUSTER_STATS, QueryableStoreTypes.keyValueStore()));
        long pooled = 0;
        int clusters = 0;
        try (KeyValueIterator<Integer, ClusterStats> it = stats.all()) {
          while (it.hasNext()) {
            ClusterStats s = it.next().value;
            if (s != null) {
              pooled += s.getSize();
              clusters++;
            }
          }
        }
        return String.format(
            "Resumed: %d examples pooled in %d clusters; trainers: %s",
            pooled, clusters, trainers.isEmpty() ? "none" : String.join(", ", trainers));
      } catch (RuntimeException e) {
        // stores open a moment after RUNNING
        if (System.nanoTime() > deadline) {
          return "Resumed (the stores did not answer yet: " + e.getMessage() + ")";
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return "Resumed";
        }
      }
    }
  }

  /** How the user started this command: bin/sieve passes its own path. */
  private static String launcher() {
    return System.getProperty("sieve.launcher", "bin/sieve");
  }

  private static Path repoFile(String relative) {
    String root = System.getProperty("sieve.home");
    return root == null ? Path.of(relative) : Path.of(root).resolve(relative);
  }

  /** A path as short as it can be said from the working directory. */
  static String shown(Path path) {
    Path cwd = Path.of("").toAbsolutePath();
    Path p = path.toAbsolutePath().normalize();
    if (p.startsWith(cwd) && !p.equals(cwd)) {
      return cwd.relativize(p).toString();
    }
    return p.toString();
  }
}
