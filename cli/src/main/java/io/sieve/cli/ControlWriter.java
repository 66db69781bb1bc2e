package io.sieve.cli;

import io.sieve.app.TrainerAdmin;
import io.sieve.avro.TrainerControl;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.plan.TrainerControls;
import java.io.PrintWriter;
import java.time.Instant;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Writes one operator control, as the trainer and quarantine commands give it. */
final class ControlWriter {

  private ControlWriter() {}

  /** A control of {@code trainerId}, issued now by the user running the command. */
  static TrainerControl.Builder control(String trainerId, String action, String reason) {
    return TrainerControl.newBuilder()
        .setTrainerId(trainerId)
        .setAction(action)
        .setReason(reason)
        .setIssuedBy(System.getProperty("user.name"))
        .setIssuedAt(Instant.now());
  }

  /**
   * Checks the control as the planner will, writes it and says where it went. Whether it applies to
   * the trainer's state (a skip backwards, a lift of nothing) only the planner knows: such a
   * control becomes a dead letter.
   */
  static int write(CommandSpec spec, ConnectionOptions connection, TrainerControl control) {
    if (!TrainerCommand.VALID_ID.matcher(control.getTrainerId()).matches()) {
      throw new ParameterException(
          spec.commandLine(),
          "invalid trainer id '"
              + control.getTrainerId()
              + "': use letters, digits, '.', '_', '-'");
    }
    TrainerControls.Problem problem = TrainerControls.check(control.getTrainerId(), control);
    if (problem != null) {
      throw new ParameterException(spec.commandLine(), problem.detail());
    }
    SieveConfig config = connection.sieveConfig();
    Topics topics = ConnectionOptions.topics(config);
    TrainerCommand.ensureTopics(config, topics);
    RecordMetadata written = new TrainerAdmin(config, topics).control(control);
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "%s: %s written to %s partition %d offset %d%n",
        control.getTrainerId(),
        TrainerControls.describe(control),
        written.topic(),
        written.partition(),
        written.offset());
    out.println(
        "the planner applies it in order with the trainer's feedback: GET /trainers/"
            + control.getTrainerId()
            + " shows it; one that does not apply is a dead letter on "
            + topics.deadLetters().name());
    out.flush();
    return 0;
  }
}
