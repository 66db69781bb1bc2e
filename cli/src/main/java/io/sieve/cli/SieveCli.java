package io.sieve.cli;

import io.sieve.app.SieveMain;
import io.sieve.demo.Demo;
import io.sieve.policy.Policies;
import io.sieve.quality.MissingDataException;
import io.sieve.quality.ScenarioBenchmark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
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
      LocalCommand.class,
      SieveCli.RunCommand.class,
      SieveCli.BenchCommand.class,
      IngestCommand.class,
      TailCommand.class,
      ManifestCommand.class,
      TrainerCommand.class,
      QuarantineCommand.class,
      TopicsCommand.class,
      SieveCli.QualityCommand.class
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
      // the log outlives the demo's temporary directory, so that it can be read afterwards
      Path log = QuietConsole.logTo(Files.createTempFile("sieve-demo-", ".log"));
      System.out.printf("Kafka's logs:    %s%n", log);
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
    @Option(
        names = "--records",
        defaultValue = "50000",
        description = "Timed examples per run, after the seed prefix (default: ${DEFAULT-VALUE}).")
    int records;

    @Option(
        names = "--seed-records",
        defaultValue = "5000",
        description =
            "Examples each run consumes before timing starts; they bootstrap the centroid model"
                + " (default: ${DEFAULT-VALUE}).")
    int seedRecords;

    @Option(
        names = "--reps",
        defaultValue = "3",
        description =
            "Repetitions of each topology, in alternating order (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--dimension", defaultValue = "384", description = "Embedding dimension.")
    int dimension;

    @Option(
        names = "--cases",
        split = ",",
        defaultValue = "all",
        description =
            "Ingest cases: fill-k16, fill-k256, reservoir-k16, near-duplicates-k16, or all"
                + " (default: ${DEFAULT-VALUE}).")
    List<String> cases;

    @Option(
        names = "--batch-size",
        defaultValue = "256",
        description = "Batch size of the latency run (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
        names = "--window",
        defaultValue = "2",
        description = "The latency trainer's window (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(
        names = "--packed",
        description =
            "The latency trainer asks for packed float32 embeddings (packedEmbeddings) rather than"
                + " arrays of floats.")
    boolean packed;

    @Option(
        names = "--latency-batches",
        defaultValue = "1000",
        description =
            "Batches the latency trainer consumes; 0 skips the run (default: ${DEFAULT-VALUE}).")
    int latencyBatches;

    @Option(
        names = "--steps-per-second",
        defaultValue = "10",
        description = "The latency trainer's step rate (default: ${DEFAULT-VALUE}).")
    double stepsPerSecond;

    @Option(
        names = "--latency-limit",
        defaultValue = "10m",
        description = "Longest the latency run may last (default: ${DEFAULT-VALUE}).")
    Duration latencyLimit;

    @Option(
        names = "--pool-records",
        defaultValue = "0",
        description =
            "Examples for a footprint run (heap, RSS, RocksDB bytes per pooled example); 0 skips"
                + " it (default: ${DEFAULT-VALUE}).")
    int poolRecords;

    @Option(
        names = "--set",
        description =
            "A setting of Sieve's configuration for every Sieve run of the benchmark, key=value;"
                + " repeatable (e.g. --set batch.stage=4 --set streams.commit.interval.ms=50).")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(names = "--report", description = "Directory to write benchmark.json into.")
    Path report;

    @Option(
        names = "--profile",
        description =
            "Record the full topology's timed runs with JFR (kept as profile-<app>.jfr in the"
                + " report directory) and report where its stream threads spent their samples, by"
                + " stage and kind of work.")
    boolean profile;

    @Override
    public Integer call() throws Exception {
      new io.sieve.bench.Benchmark(
              new io.sieve.bench.Benchmark.Options(
                  records,
                  seedRecords,
                  reps,
                  dimension,
                  cases,
                  batchSize,
                  window,
                  packed,
                  latencyBatches,
                  stepsPerSecond,
                  latencyLimit,
                  poolRecords,
                  settings,
                  report,
                  profile),
              System.out)
          .run();
      return 0;
    }
  }

  @Command(
      name = "quality",
      mixinStandardHelpOptions = true,
      description =
          "Does selection beat uniform sampling? Runs the scenario benchmark S0–S6, S1C, S1I, S5N (see"
              + " README):"
              + " real data streamed through Sieve on a local broker and registry, each scenario's"
              + " transformation, paired seeds, an online and a data-limited trainer per policy,"
              + " and paired deltas against the baselines.")
  static final class QualityCommand implements Callable<Integer> {
    @Option(
        names = "--scenario",
        required = true,
        description =
            "S0..S6, S1C, S1I or S5N (or its name: clean, redundancy, redundancy-concentrated,"
                + " redundancy-image, noisy-source, minority-group, rs2-rounds, long-tail,"
                + " long-tail-natural, drift), a comma-separated list, or all.")
    String scenario;

    @Option(
        names = "--trainers",
        split = ",",
        defaultValue = "online,limited",
        description =
            "Scenario trainers: online (one step per batch) and/or limited (rounds of passes over"
                + " what was selected; default: ${DEFAULT-VALUE}).")
    List<String> trainers;

    @Option(
        names = "--validation",
        defaultValue = "1000",
        description = "Scenario trainers' own validation slice, held out like the test set.")
    int validation;

    @Option(
        names = "--validation-mix",
        defaultValue = "natural",
        description =
            "natural (the validation slice keeps the held-out rows' mix) or equal (an equal number"
                + " per group value; S3 only).")
    String validationMix;

    @Option(
        names = "--eval-batches",
        defaultValue = "8",
        description = "Online scenario trainers send an evaluation round every this many batches.")
    int evalBatches;

    @Option(
        names = "--passes",
        defaultValue = "3",
        description = "Passes per round of the data-limited scenario trainer.")
    int passes;

    @Option(
        names = "--data-dir",
        description =
            "Tabular data exported by scripts/fetch-quality-data.sh (default:"
                + " ~/.cache/sieve/quality-data).")
    Path dataDir;

    @Option(
        names = "--policies",
        split = ",",
        description =
            "Policies to compare (default: each scenario's own list, baselines included).")
    List<String> policies;

    @Option(names = "--seeds", description = "Paired seeds per policy (default: 5).")
    Integer seeds;

    @Option(
        names = "--budget",
        defaultValue = "5120",
        description = "Examples each trainer consumes (default: ${DEFAULT-VALUE}).")
    int budget;

    @Option(names = "--batch-size", defaultValue = "64", description = "Examples per batch.")
    int batchSize;

    @Option(
        names = "--stream",
        defaultValue = "30000",
        description = "Examples streamed into Sieve per scenario.")
    int stream;

    @Option(names = "--test", defaultValue = "5000", description = "Held-out test examples.")
    int test;

    @Option(
        names = "--eval-points",
        defaultValue = "20",
        description = "Evaluations on the test set per trainer over the budget.")
    int evalPoints;

    @Option(
        names = "--learning-rate",
        defaultValue = "0.05",
        description = "Adam step size of the softmax trainers.")
    double learningRate;

    @Option(
        names = "--learnability",
        defaultValue = "reference",
        description =
            "What the scenario trainers report as learnability: reference (loss minus that of a"
                + " model trained on their validation slice, temperature-calibrated, RHO-LOSS),"
                + " reference-uncalibrated, step (loss before minus"
                + " after their training step) or class (their validation loss on the example's"
                + " label minus the example's loss). Default: ${DEFAULT-VALUE}.")
    String learnability;

    @Option(
        names = "--target",
        defaultValue = "0.9",
        description = "Time-to-accuracy target, as a fraction of uniform's final accuracy.")
    double target;

    @Option(names = "--data-seed", defaultValue = "7", description = "Seed of the data split.")
    long dataSeed;

    @Option(
        names = "--stall-timeout",
        defaultValue = "120s",
        description = "Stop waiting for batches after this long without one.")
    Duration stallTimeout;

    @Option(
        names = "--report",
        description =
            "Directory for quality.md, quality.json and one PNG per scenario and trainer.")
    Path report;

    @Option(
        names = "--param",
        description =
            "A policy parameter given to every trainer, e.g. --param ucb.clusters=8 (repeatable;"
                + " each policy reads only its own keys).")
    Map<String, String> params = new LinkedHashMap<>();

    @Option(
        names = "--config",
        description =
            "A Sieve configuration key for the scenario runs, e.g. --config"
                + " dedup.near.epsilon.text=0.2 (repeatable; applied after the scenario's own).")
    Map<String, String> config = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
      List<String> chosen = new ArrayList<>();
      for (String name : scenario.split(",")) {
        if ("all".equalsIgnoreCase(name.trim())) {
          chosen.addAll(ScenarioBenchmark.scenarioIds());
        } else if (ScenarioBenchmark.knownScenario(name.trim())) {
          chosen.add(name.trim());
        } else {
          System.err.printf(
              "unknown scenario '%s'; known: %s, all%n", name, ScenarioBenchmark.scenarioNames());
          return 2;
        }
      }
      if (policies != null) {
        for (String p : policies) {
          String problem = ScenarioBenchmark.unknown(p);
          if (problem != null) {
            System.err.println(problem);
            return 2;
          }
        }
      }
      for (String t : trainers) {
        if (!List.of("online", "limited").contains(t)) {
          System.err.printf("unknown trainer '%s'; known: online, limited%n", t);
          return 2;
        }
      }
      int n = seeds == null ? 5 : seeds;
      if (n < 1
          || budget < batchSize
          || batchSize < 1
          || evalPoints < 1
          || evalBatches < 1
          || passes < 1
          || validation < 1) {
        System.err.println(
            "need seeds, batch size, eval points, eval batches, passes, validation >= 1 and"
                + " budget >= batch size");
        return 2;
      }
      if (!ScenarioBenchmark.Settings.LEARNABILITY.contains(learnability)) {
        System.err.println(
            "--learnability must be one of "
                + ScenarioBenchmark.Settings.LEARNABILITY
                + ": '"
                + learnability
                + "'");
        return 2;
      }
      if (!ScenarioBenchmark.Settings.VALIDATION_MIX.contains(validationMix)) {
        System.err.println(
            "--validation-mix must be one of "
                + ScenarioBenchmark.Settings.VALIDATION_MIX
                + ": '"
                + validationMix
                + "'");
        return 2;
      }
      if ("equal".equals(validationMix)) {
        for (String name : chosen) {
          if (!ScenarioBenchmark.equalValidationSupported(name)) {
            System.err.printf(
                "--validation-mix equal is implemented for S3 only, not for %s%n", name);
            return 2;
          }
        }
      }
      ScenarioBenchmark bench;
      try {
        bench =
            new ScenarioBenchmark(
                new ScenarioBenchmark.Settings(
                    chosen,
                    policies,
                    trainers,
                    n,
                    budget,
                    batchSize,
                    stream,
                    test,
                    validation,
                    evalPoints,
                    evalBatches,
                    passes,
                    learningRate,
                    target,
                    dataSeed,
                    stallTimeout,
                    report,
                    dataDir == null ? ScenarioBenchmark.DEFAULT_DATA_DIR : dataDir,
                    new TreeMap<>(params),
                    new TreeMap<>(config),
                    learnability,
                    validationMix),
                System.out);
        bench.run();
      } catch (MissingDataException e) {
        System.err.println(e.getMessage());
        return 3;
      }
      if (!bench.unfinished().isEmpty()) {
        // a smoke test must fail when trainers starve, not report their partial curves
        System.err.println("trainers short of their budget: " + bench.unfinished());
        return 1;
      }
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
      SieveMain.run(config);
      return 0;
    }
  }
}
