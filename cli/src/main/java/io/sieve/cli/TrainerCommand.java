package io.sieve.cli;

import io.sieve.app.TopicAdmin;
import io.sieve.app.TrainerAdmin;
import io.sieve.app.TrainerReader;
import io.sieve.avro.TrainerSpec;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.plan.TrainerControls;
import io.sieve.plan.TrainerSpecs;
import io.sieve.policy.Policies;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sieve trainer put|list|delete}: trainer specs on the compacted trainers topic; {@code
 * pause|resume|skip|rewind}: operators' controls on the trainer-controls topic.
 */
@Command(
    name = "trainer",
    mixinStandardHelpOptions = true,
    description =
        "Declares, lists and removes trainers (specs on the compacted trainers topic), and pauses,"
            + " resumes, skips or rewinds them (controls on the trainer-controls topic).",
    subcommands = {
      TrainerCommand.Put.class,
      TrainerCommand.ListTrainers.class,
      TrainerCommand.Delete.class,
      TrainerCommand.Pause.class,
      TrainerCommand.Resume.class,
      TrainerCommand.Skip.class,
      TrainerCommand.Rewind.class
    })
final class TrainerCommand implements Callable<Integer> {

  /** The ids a batch topic name can carry; the service ignores others. */
  static final Pattern VALID_ID = Pattern.compile("[A-Za-z0-9._-]{1,200}");

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  /**
   * The trainers topic may not exist yet when trainers are declared before Sieve first starts;
   * creating the required topics (as Sieve would) beats a producer blocked on a missing topic.
   */
  static void ensureTopics(SieveConfig config, Topics topics) {
    try (TopicAdmin admin = new TopicAdmin(config)) {
      admin.ensureRequired(topics);
    }
  }

  /** One line per spec, as {@code list} prints it and {@code put} confirms it. */
  static String describe(TrainerSpec s, String batchTopic) {
    return String.format(
        java.util.Locale.ROOT,
        "%s policy=%s batch-size=%d window=%d seed=%d%s%s%s%s topic=%s",
        s.getTrainerId(),
        s.getPolicy(),
        s.getBatchSize(),
        s.getWindow(),
        s.getSeed(),
        s.getRanks() > 1 ? " ranks=" + s.getRanks() : "",
        s.getIdsOnly() ? " ids-only" : "",
        s.getPackedEmbeddings() ? " packed-embeddings" : "",
        s.getParams().isEmpty() ? "" : " params=" + new TreeMap<>(s.getParams()),
        batchTopic);
  }

  @Command(
      name = "put",
      mixinStandardHelpOptions = true,
      description =
          "Declares or replaces a trainer: creates Sieve's topics if they are missing and the"
              + " trainer's batch topic, then writes its spec. Sieve starts sending batches when"
              + " the pool holds a full batch.")
  static final class Put implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin ConnectionOptions connection;

    @Option(
        names = "--id",
        required = true,
        description = "Trainer id: letters, digits, '.', '_' and '-'.")
    String id;

    @Option(
        names = "--policy",
        defaultValue = "uniform",
        description = "Selection policy (default ${DEFAULT-VALUE}).")
    String policy;

    @Option(
        names = "--batch-size",
        defaultValue = "256",
        description = "Examples per batch (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
        names = "--window",
        defaultValue = "2",
        description = "Batches outstanding before feedback is needed (default ${DEFAULT-VALUE}).")
    int window;

    @Option(
        names = "--seed",
        defaultValue = "0",
        description = "Seed of the trainer's draws (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--ids-only", description = "Batches carry ids, clusters and groups only.")
    boolean idsOnly;

    @Option(
        names = "--packed-embeddings",
        description =
            "Batches carry each embedding as float32 little-endian bytes (packed) instead of an"
                + " array of floats.")
    boolean packedEmbeddings;

    @Option(
        names = "--ranks",
        defaultValue = "1",
        description =
            "Data-parallel ranks, dividing --batch-size: each batch is written as this many"
                + " shards, rank r's to partition r of the batch topic (default ${DEFAULT-VALUE}).")
    int ranks;

    @Option(
        names = "--param",
        paramLabel = "KEY=VALUE",
        description = "Policy parameter; repeat for more.")
    Map<String, String> params = new LinkedHashMap<>();

    @Override
    public Integer call() {
      if (!VALID_ID.matcher(id).matches()) {
        throw new ParameterException(
            spec.commandLine(), "invalid --id '" + id + "': use letters, digits, '.', '_', '-'");
      }
      if (Policies.byName(policy) == null) {
        throw new ParameterException(
            spec.commandLine(), "unknown --policy '" + policy + "'; known: " + Policies.names());
      }
      if (batchSize < 1 || window < 1) {
        throw new ParameterException(spec.commandLine(), "--batch-size and --window must be >= 1");
      }
      SieveConfig config = connection.sieveConfig();
      Topics topics = ConnectionOptions.topics(config);
      TrainerSpec trainer =
          TrainerSpec.newBuilder()
              .setTrainerId(id)
              .setPolicy(policy)
              .setBatchSize(batchSize)
              .setWindow(window)
              .setSeed(seed)
              .setIdsOnly(idsOnly)
              .setPackedEmbeddings(packedEmbeddings)
              .setRanks(ranks)
              .setParams(new LinkedHashMap<>(params))
              .build();
      ensureTopics(config, topics);
      new TrainerAdmin(config, topics).put(trainer);
      PrintWriter out = spec.commandLine().getOut();
      out.println("put " + describe(trainer, topics.batchTopic(id)));
      out.flush();
      TrainerSpecs.Problem problem =
          TrainerSpecs.check(
              id, trainer, config.dimension(), config.getInt(SieveConfig.BATCH_MAX_BYTES_CONFIG));
      if (problem != null) {
        // written all the same, as any producer could: Sieve dead-letters it with this reason
        PrintWriter err = spec.commandLine().getErr();
        err.println(
            "warning: Sieve will reject this spec ("
                + problem.reason()
                + ": "
                + problem.detail()
                + "); no batch topic was created");
        err.flush();
      }
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Reads the trainers topic to its end and prints the live specs, one per line.")
  static final class ListTrainers implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin ConnectionOptions connection;

    @Override
    public Integer call() {
      SieveConfig config = connection.sieveConfig();
      Topics topics = ConnectionOptions.topics(config);
      SortedMap<String, TrainerSpec> live = new TrainerReader(config, topics).live();
      PrintWriter out = spec.commandLine().getOut();
      live.values().forEach(s -> out.println(describe(s, topics.batchTopic(s.getTrainerId()))));
      out.println(live.size() + (live.size() == 1 ? " trainer" : " trainers"));
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description =
          "Removes a trainer (a tombstone on the trainers topic): no more batches. Its batch"
              + " topic stays.")
  static final class Delete implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin ConnectionOptions connection;

    @Option(names = "--id", required = true, description = "Trainer id.")
    String id;

    @Override
    public Integer call() {
      SieveConfig config = connection.sieveConfig();
      Topics topics = ConnectionOptions.topics(config);
      ensureTopics(config, topics);
      new TrainerAdmin(config, topics).delete(id);
      PrintWriter out = spec.commandLine().getOut();
      out.println("deleted " + id);
      out.flush();
      return 0;
    }
  }

  /** The options every control takes: the connection, the trainer and why. */
  abstract static class ControlCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin ConnectionOptions connection;

    @Option(names = "--id", required = true, description = "Trainer id.")
    String id;

    @Option(names = "--reason", description = "Why; the planner logs it.")
    String reason;

    abstract String action();

    Long sequence() {
      return null;
    }

    @Override
    public Integer call() {
      return ControlWriter.write(
          spec,
          connection,
          ControlWriter.control(id, action(), reason).setSequence(sequence()).build());
    }
  }

  @Command(
      name = "pause",
      mixinStandardHelpOptions = true,
      description =
          "Pauses a trainer: Sieve plans nothing for it until resume. Its credit is kept, its"
              + " feedback still counts and unacknowledged batches still expire.")
  static final class Pause extends ControlCommand {
    @Override
    String action() {
      return TrainerControls.PAUSE;
    }
  }

  @Command(
      name = "resume",
      mixinStandardHelpOptions = true,
      description = "Resumes a paused trainer: its credit is planned for at once.")
  static final class Resume extends ControlCommand {
    @Override
    String action() {
      return TrainerControls.RESUME;
    }
  }

  /** A control that moves the trainer to the batch sequence {@code --to}. */
  abstract static class MoveControl extends ControlCommand {
    @Option(names = "--to", required = true, description = "Sequence of the next batch.")
    long to;

    @Override
    Long sequence() {
      return to;
    }
  }

  @Command(
      name = "skip",
      mixinStandardHelpOptions = true,
      description =
          "Skips a trainer forward: its next batch has sequence --to (at least its next one).")
  static final class Skip extends MoveControl {
    @Override
    String action() {
      return TrainerControls.SKIP;
    }
  }

  @Command(
      name = "rewind",
      mixinStandardHelpOptions = true,
      description =
          "Rewinds a trainer: its next batch has sequence --to (below its next one). The batches"
              + " from there are planned again from the pool as it is now, not replayed; their"
              + " ids end in -r<rewinds>.")
  static final class Rewind extends MoveControl {
    @Override
    String action() {
      return TrainerControls.REWIND;
    }
  }
}
