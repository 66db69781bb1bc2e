package io.sieve.plan;

import io.sieve.avro.TrainerControl;
import io.sieve.avro.TrainerState;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Operators' controls of a trainer ({@link TrainerControl}): their check and their effect on the
 * planner's state of the trainer. Pure logic, so that the rules can be read and tested without
 * Kafka; the planner applies them in order with the trainer's spec and feedback.
 *
 * <ul>
 *   <li>{@code pause}: nothing is planned for the trainer until {@code resume}. Its credit is kept,
 *       feedback is still absorbed and leases still expire.
 *   <li>{@code skip} to N (N at least the next sequence): the next batch has sequence N; the
 *       sequences between are never used. Outstanding batches stay outstanding.
 *   <li>{@code rewind} to N (N below the next sequence): the next batch has sequence N. The batches
 *       from N on are planned again from the pool and the policy state as they are now, not
 *       replayed: cursors, policy numbers and the round go on. Batch ids from then on carry the
 *       count of rewinds ({@code trainer-N-r1}), so that no id names two batches; outstanding
 *       batches keep their ids and are acknowledged as before.
 *   <li>{@code quarantine} a cluster or a group value {@code attr=value}: no batch of the trainer
 *       holds an example of it until {@code lift}. Per trainer: a quarantine of every trainer is
 *       one control per trainer.
 * </ul>
 */
public final class TrainerControls {

  public static final String PAUSE = "pause";
  public static final String RESUME = "resume";
  public static final String SKIP = "skip";
  public static final String REWIND = "rewind";
  public static final String QUARANTINE = "quarantine";
  public static final String LIFT = "lift";

  /** The actions, in the order the help lists them. */
  public static final List<String> ACTIONS = List.of(PAUSE, RESUME, SKIP, REWIND, QUARANTINE, LIFT);

  /** Most quarantines (clusters and group values together) one trainer may hold. */
  public static final int MAX_QUARANTINES = 1000;

  /** Longest group value {@code attr=value} a quarantine may name. */
  public static final int MAX_GROUP_LENGTH = 400;

  private TrainerControls() {}

  /** A rejection: a machine-readable reason and an explanation. */
  public record Problem(String reason, String detail) {}

  /**
   * Checks the control's own fields against its record key; null when it is well-formed. Whether it
   * applies to the trainer's current state is {@link #apply}'s question.
   */
  public static Problem check(String key, TrainerControl control) {
    if (control.getTrainerId() == null || !control.getTrainerId().equals(key)) {
      return new Problem(
          "key-mismatch",
          "record key " + key + " differs from the control's trainerId " + control.getTrainerId());
    }
    String action = control.getAction();
    if (!ACTIONS.contains(action)) {
      return new Problem("unknown-action", "unknown action '" + action + "'; known: " + ACTIONS);
    }
    boolean moves = action.equals(SKIP) || action.equals(REWIND);
    boolean names = action.equals(QUARANTINE) || action.equals(LIFT);
    if (moves && (control.getSequence() == null || control.getSequence() < 0)) {
      return new Problem(
          "invalid-control", action + " needs a sequence >= 0: " + control.getSequence());
    }
    if (!moves && control.getSequence() != null) {
      return new Problem("invalid-control", action + " takes no sequence");
    }
    if (names) {
      if ((control.getClusterId() == null) == (control.getGroup() == null)) {
        return new Problem(
            "invalid-control", action + " needs exactly one of a cluster id and a group value");
      }
      if (control.getClusterId() != null && control.getClusterId() < 0) {
        return new Problem(
            "invalid-control", "a cluster id is not negative: " + control.getClusterId());
      }
      if (control.getGroup() != null && !validGroup(control.getGroup())) {
        return new Problem(
            "invalid-control",
            "a group value is attribute=value, both non-empty, at most "
                + MAX_GROUP_LENGTH
                + " characters: "
                + control.getGroup());
      }
    } else if (control.getClusterId() != null || control.getGroup() != null) {
      return new Problem("invalid-control", action + " takes no cluster id or group value");
    }
    return null;
  }

  static boolean validGroup(String group) {
    int eq = group.indexOf('=');
    return eq > 0 && eq < group.length() - 1 && group.length() <= MAX_GROUP_LENGTH;
  }

  /**
   * Applies a well-formed control to the trainer's state; null when it did, else why not (the state
   * is then unchanged). Repeating a pause, resume or quarantine changes nothing and is no problem:
   * an operator who retries after a timeout must not get an error.
   */
  public static Problem apply(TrainerState state, TrainerControl control) {
    switch (control.getAction()) {
      case PAUSE -> state.setPaused(true);
      case RESUME -> state.setPaused(false);
      case SKIP -> {
        long to = control.getSequence();
        if (to < state.getSequence()) {
          return new Problem(
              "invalid-sequence",
              "skip goes forward: the next batch of "
                  + state.getTrainerId()
                  + " has sequence "
                  + state.getSequence()
                  + ", so "
                  + to
                  + " is behind it; use rewind to go back");
        }
        state.setSequence(to);
      }
      case REWIND -> {
        long to = control.getSequence();
        if (to >= state.getSequence()) {
          return new Problem(
              "invalid-sequence",
              "rewind goes back: the next batch of "
                  + state.getTrainerId()
                  + " has sequence "
                  + state.getSequence()
                  + ", so "
                  + to
                  + " is not behind it; use skip to go forward");
        }
        state.setSequence(to);
        state.setRewinds(state.getRewinds() + 1);
        // every batch of the new run is planned under the current spec
        state.setSpecSequence(to);
      }
      case QUARANTINE -> {
        if (isQuarantined(state, control)) {
          return null;
        }
        if (state.getQuarantinedClusters().size() + state.getQuarantinedGroups().size()
            >= MAX_QUARANTINES) {
          return new Problem(
              "too-many-quarantines",
              state.getTrainerId()
                  + " already holds "
                  + MAX_QUARANTINES
                  + " quarantines; lift some first");
        }
        if (control.getClusterId() != null) {
          TreeSet<Integer> clusters = new TreeSet<>(state.getQuarantinedClusters());
          clusters.add(control.getClusterId());
          state.setQuarantinedClusters(new ArrayList<>(clusters));
        } else {
          TreeSet<String> groups = new TreeSet<>(state.getQuarantinedGroups());
          groups.add(control.getGroup());
          state.setQuarantinedGroups(new ArrayList<>(groups));
        }
      }
      case LIFT -> {
        if (!isQuarantined(state, control)) {
          return new Problem(
              "not-quarantined",
              state.getTrainerId() + " has no quarantine of " + subject(control) + " to lift");
        }
        if (control.getClusterId() != null) {
          List<Integer> clusters = new ArrayList<>(state.getQuarantinedClusters());
          clusters.remove(control.getClusterId());
          state.setQuarantinedClusters(clusters);
        } else {
          List<String> groups = new ArrayList<>(state.getQuarantinedGroups());
          groups.remove(control.getGroup());
          state.setQuarantinedGroups(groups);
        }
      }
      default -> throw new IllegalArgumentException("unchecked action " + control.getAction());
    }
    return null;
  }

  private static boolean isQuarantined(TrainerState state, TrainerControl control) {
    return control.getClusterId() != null
        ? state.getQuarantinedClusters().contains(control.getClusterId())
        : state.getQuarantinedGroups().contains(control.getGroup());
  }

  /** What a quarantine or lift names: {@code cluster 3} or {@code group lang=fr}. */
  public static String subject(TrainerControl control) {
    return control.getClusterId() != null
        ? "cluster " + control.getClusterId()
        : "group " + control.getGroup();
  }

  /** One line for the log: {@code rewind to 4} or {@code quarantine cluster 3}. */
  public static String describe(TrainerControl control) {
    String what =
        switch (control.getAction()) {
          case SKIP, REWIND -> control.getAction() + " to " + control.getSequence();
          case QUARANTINE, LIFT -> control.getAction() + " " + subject(control);
          default -> control.getAction();
        };
    if (control.getIssuedBy() != null) {
      what += " by " + control.getIssuedBy();
    }
    if (control.getReason() != null) {
      what += " (" + control.getReason() + ")";
    }
    return what;
  }

  /**
   * The id of the trainer's batch of {@code sequence}: {@code trainer-sequence}, and after the
   * first rewind {@code trainer-sequence-rK}, K the count of rewinds.
   */
  public static String batchId(String trainerId, long sequence, long rewinds) {
    return rewinds == 0 ? trainerId + "-" + sequence : trainerId + "-" + sequence + "-r" + rewinds;
  }

  /** The sequence and count of rewinds a batch id of the trainer names, or null if none. */
  public record BatchRef(long sequence, long rewinds) {}

  public static BatchRef parse(String trainerId, String batchId) {
    String prefix = trainerId + "-";
    if (batchId == null || !batchId.startsWith(prefix)) {
      return null;
    }
    String rest = batchId.substring(prefix.length());
    int r = rest.indexOf("-r");
    try {
      long sequence = Long.parseLong(r < 0 ? rest : rest.substring(0, r));
      long rewinds = r < 0 ? 0 : Long.parseLong(rest.substring(r + 2));
      return sequence < 0 || rewinds < 0 ? null : new BatchRef(sequence, rewinds);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
