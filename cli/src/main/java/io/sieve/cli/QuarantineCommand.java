package io.sieve.cli;

import io.sieve.plan.TrainerControls;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sieve quarantine add|lift}: keeps a cluster or a group value out of a trainer's batches,
 * or lets it back in (controls on the trainer-controls topic).
 */
@Command(
    name = "quarantine",
    mixinStandardHelpOptions = true,
    description =
        "Keeps a cluster or a group value out of a trainer's batches until lifted (controls on"
            + " the trainer-controls topic). A quarantine is per trainer.",
    subcommands = {QuarantineCommand.Add.class, QuarantineCommand.Lift.class})
final class QuarantineCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  /** Exactly one of a cluster and a group value. */
  static final class Subject {
    @Option(names = "--cluster", required = true, description = "Cluster id.")
    Integer cluster;

    @Option(
        names = "--group",
        required = true,
        paramLabel = "ATTR=VALUE",
        description = "Group value, e.g. lang=fr (or @label=cat for a label).")
    String group;
  }

  abstract static class QuarantineControl implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin ConnectionOptions connection;

    @Option(names = "--trainer", required = true, description = "Trainer id.")
    String trainer;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Subject subject;

    @Option(names = "--reason", description = "Why; the planner logs it.")
    String reason;

    abstract String action();

    @Override
    public Integer call() {
      return ControlWriter.write(
          spec,
          connection,
          ControlWriter.control(trainer, action(), reason)
              .setClusterId(subject.cluster)
              .setGroup(subject.group)
              .build());
    }
  }

  @Command(
      name = "add",
      mixinStandardHelpOptions = true,
      description =
          "Quarantines a cluster or a group value for a trainer: none of its examples is in the"
              + " trainer's batches until lifted; the pool draws others in their place.")
  static final class Add extends QuarantineControl {
    @Override
    String action() {
      return TrainerControls.QUARANTINE;
    }
  }

  @Command(
      name = "lift",
      mixinStandardHelpOptions = true,
      description = "Lifts a trainer's quarantine of a cluster or a group value.")
  static final class Lift extends QuarantineControl {
    @Override
    String action() {
      return TrainerControls.LIFT;
    }
  }
}
