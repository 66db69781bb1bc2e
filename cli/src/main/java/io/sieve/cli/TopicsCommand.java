package io.sieve.cli;

import io.sieve.app.TopicAdmin;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import java.io.PrintWriter;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code sieve topics create}: the topics Sieve needs, before any instance starts. */
@Command(
    name = "topics",
    mixinStandardHelpOptions = true,
    description = "Manages Sieve's topics.",
    subcommands = {TopicsCommand.Create.class})
final class TopicsCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Creates the topics Sieve needs (examples, trainers, feedback, dead letters, centroids,"
            + " cluster stats) with topic.partitions, topic.replication.factor and compaction where"
            + " needed. Topics that exist are left as they are, so it is safe to run again.",
        "Sieve also creates them at start; run this when its principal may not create topics."
      })
  static final class Create implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin ConnectionOptions connection;

    @Override
    public Integer call() {
      SieveConfig config = connection.sieveConfig();
      Topics topics = ConnectionOptions.topics(config);
      List<String> created;
      try (TopicAdmin admin = new TopicAdmin(config)) {
        created = admin.ensureRequired(topics);
      }
      PrintWriter out = spec.commandLine().getOut();
      for (Topics.Spec t : topics.required(config.partitions(), config.maxRecordBytes())) {
        if (created.contains(t.name())) {
          out.printf(
              "created %s partitions=%d replication=%d%s%n",
              t.name(),
              t.partitions(),
              config.replicationFactor(),
              t.configs().isEmpty() ? "" : " " + new TreeMap<>(t.configs()));
        } else {
          // left as it is: its partitions and configs may differ from what would be created
          out.printf("exists  %s%n", t.name());
        }
      }
      out.printf(
          "%d created, %d existed%n", created.size(), topics.required(1).size() - created.size());
      out.flush();
      return 0;
    }
  }
}
