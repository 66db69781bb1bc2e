package io.sieve.cli;

import io.sieve.app.SieveService;
import io.sieve.config.SieveConfig;
import io.sieve.demo.Demo;
import io.sieve.policy.Policies;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code sieve} command line. */
@Command(
    name = "sieve",
    mixinStandardHelpOptions = true,
    description = "Streaming training-data selection on Kafka Streams.",
    subcommands = {
      SieveCli.DemoCommand.class,
      SieveCli.RunCommand.class,
      SieveCli.BenchCommand.class,
      IngestCommand.class,
      TailCommand.class,
      TrainerCommand.class,
      TopicsCommand.class
    })
public final class SieveCli implements Callable<Integer> {

  @Override
  public Integer call() {
    CommandLine.usage(this, System.out);
    return 0;
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line with its converters, ready to execute. */
  public static CommandLine commandLine() {
    return new CommandLine(new SieveCli())
        .registerConverter(Duration.class, SieveCli::parseDuration);
  }

  /** Accepts 90s, 2m, 1h, 500ms or an ISO-8601 duration. */
  static Duration parseDuration(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.startsWith("p")) {
      return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
    }
    if (t.endsWith("ms")) {
      return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
    }
    long n = Long.parseLong(t.substring(0, t.length() - 1));
    switch (t.charAt(t.length() - 1)) {
      case 's':
        return Duration.ofSeconds(n);
      case 'm':
        return Duration.ofMinutes(n);
      case 'h':
        return Duration.ofHours(n);
      default:
        throw new IllegalArgumentException("not a duration: " + text + " (try 60s, 2m or 1h)");
    }
  }

  @Command(
      name = "demo",
      mixinStandardHelpOptions = true,
      description =
          "Starts a local broker and schema registry on 127.0.0.1, Sieve, a feeder of synthetic"
              + " data and a simulated trainer; prints progress and a summary.")
  static final class DemoCommand implements Callable<Integer> {
    @Option(
        names = "--duration",
        defaultValue = "60s",
        description = "How long to feed data (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(
        names = "--policy",
        defaultValue = "uniform",
        description =
            "Selection policy of the demo trainer: uniform, cluster-balanced,"
                + " iterative-refinement, ucb, exp3, coverage or equitable (default: ${DEFAULT-VALUE}).")
    String policy;

    @Option(names = "--report", description = "Directory to write summary.json into.")
    Path report;

    @Option(
        names = "--rate",
        defaultValue = "300",
        description = "Examples per second fed (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(
        names = "--batch-size",
        defaultValue = "64",
        description = "Examples per batch for the demo trainer (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    public Integer call() throws Exception {
      if (Policies.byName(policy) == null) {
        System.err.printf("unknown policy '%s'; known: %s%n", policy, Policies.names());
        return 2;
      }
      Demo demo = new Demo(duration, policy, report, rate, batchSize, System.out);
      demo.report(demo.run());
      return 0;
    }
  }

  @Command(
      name = "bench",
      mixinStandardHelpOptions = true,
      description =
          "Measures end-to-end throughput of the full topology against a passthrough topology,"
              + " batch latency and footprint, on a local broker and registry.")
  static final class BenchCommand implements Callable<Integer> {
    @Option(names = "--records", defaultValue = "100000", description = "Examples per run.")
    int records;

    @Option(names = "--reps", defaultValue = "3", description = "Repetitions of each topology.")
    int reps;

    @Option(names = "--dimension", defaultValue = "384", description = "Embedding dimension.")
    int dimension;

    @Option(
        names = "--batch-size",
        defaultValue = "256",
        description = "Batch size of the latency run.")
    int batchSize;

    @Option(
        names = "--latency-run",
        defaultValue = "60s",
        description = "How long the latency run lasts.")
    Duration latencyRun;

    @Option(names = "--report", description = "Directory to write benchmark.json into.")
    Path report;

    @Override
    public Integer call() throws Exception {
      new io.sieve.bench.Benchmark(
              records, reps, dimension, batchSize, latencyRun, report, System.out)
          .run();
      return 0;
    }
  }

  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description = "Runs Sieve against an existing Kafka cluster and schema registry.")
  static final class RunCommand implements Callable<Integer> {
    @Option(
        names = "--config",
        required = true,
        description = "Properties file (see README: Configuration).")
    Path config;

    @Override
    public Integer call() throws Exception {
      Properties props = new Properties();
      try (InputStream in = Files.newInputStream(config)) {
        props.load(in);
      }
      // a running service serves its REST API and metrics unless the file turns them off
      props.putIfAbsent(SieveConfig.REST_ENABLED_CONFIG, "true");
      SieveConfig sieveConfig = new SieveConfig(Map.copyOf(props));
      SieveService service = new SieveService(sieveConfig);
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    service.close();
                    stopped.countDown();
                  },
                  "sieve-shutdown"));
      service.start();
      if (service.restUrl() != null) {
        System.out.printf("Sieve REST API and metrics: %s%n", service.restUrl());
      }
      stopped.await();
      return 0;
    }
  }
}
