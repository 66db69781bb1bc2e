package io.sieve.query;

import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainerState;
import io.sieve.config.BatchTopics;
import io.sieve.plan.PlannerProcessor;
import io.sieve.policy.PlanContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Whether a trainer of this instance is starved: the planner would plan for it (it has a spec and
 * credit, fewer batches outstanding than its window, is not paused, and the pool without its
 * quarantines holds a batch) yet its batch sequence has not moved for {@code stall} ms. A planner
 * plans for such a trainer at its next record or punctuation (planner.interval.ms), so a trainer
 * left waiting that long has a planner that is stuck or a bug that skips it. A trainer whose batch
 * topic is not ready (missing, or colliding with another's) waits by design and is not judged.
 *
 * <p>Holds one entry per trainer of this instance.
 */
public final class TrainerStarvation {

  /** A trainer that has waited, since when (the first look that saw it waiting). */
  public record Waiting(String trainer, long sinceMs) {}

  private record Seen(long sequence, long sinceMs) {}

  private final long stallMs;
  private final LongSupplier clock;
  private final BatchTopics ready;
  private final Map<String, Seen> seen = new HashMap<>();
  private String lastProblem;

  public TrainerStarvation(long stallMs, LongSupplier clock, BatchTopics ready) {
    if (stallMs < 1) {
      throw new IllegalArgumentException("stall must be positive");
    }
    this.stallMs = stallMs;
    this.clock = clock;
    this.ready = ready;
  }

  /**
   * Whether the planner would plan for {@code state} with {@code pool} (its quarantines left out).
   */
  boolean plannable(TrainerState state, PlanContext pool) {
    TrainerSpec spec = state.getSpec();
    if (spec == null
        || state.getPaused()
        || state.getOutstanding().size() >= spec.getWindow()
        || !ready.ready(state.getTrainerId())) {
      return false;
    }
    long total = 0;
    for (long size : PlannerProcessor.withoutQuarantined(pool, state).poolSizes().values()) {
      total += size;
    }
    return total >= spec.getBatchSize();
  }

  /**
   * How far the trainer's batches have been written: its next sequence less the batches planned
   * ahead and not yet written (staged), so that planning ahead is not mistaken for serving.
   */
  static long written(TrainerState state) {
    return state.getSequence() - state.getStaged().size();
  }

  /**
   * Takes in this instance's trainers and the pool; returns every trainer that waits for a batch
   * the planner would plan, with since when, by trainer id.
   */
  public synchronized Map<String, Long> observe(
      Collection<TrainerState> trainers, PlanContext pool) {
    long now = clock.getAsLong();
    Set<String> current = new HashSet<>();
    Map<String, Long> waiting = new TreeMap<>();
    for (TrainerState state : trainers) {
      String id = state.getTrainerId();
      current.add(id);
      Seen before = seen.get(id);
      long since;
      if (!plannable(state, pool)) {
        since = -1;
      } else if (before == null || before.sinceMs() < 0 || before.sequence() != written(state)) {
        // first seen waiting, or a batch was written since the last look: the clock starts now
        since = now;
      } else {
        since = before.sinceMs();
      }
      seen.put(id, new Seen(written(state), since));
      if (since >= 0) {
        waiting.put(id, since);
      }
    }
    // trainers moved elsewhere or removed are forgotten
    seen.keySet().retainAll(current);
    return waiting;
  }

  /** The trainers of {@code waiting} that have waited {@code stall} ms or more. */
  public List<Waiting> starved(Map<String, Long> waiting) {
    long now = clock.getAsLong();
    List<Waiting> out = new ArrayList<>();
    waiting.forEach(
        (trainer, since) -> {
          if (now - since >= stallMs) {
            out.add(new Waiting(trainer, since));
          }
        });
    return out;
  }

  /**
   * Null when no trainer is starved, else which and since when; with {@code trainers} null (not
   * readable now) the last verdict.
   */
  public synchronized String problem(Collection<TrainerState> trainers, PlanContext pool) {
    if (trainers == null || pool == null) {
      return lastProblem;
    }
    List<Waiting> starved = starved(observe(trainers, pool));
    if (starved.isEmpty()) {
      lastProblem = null;
      return null;
    }
    long now = clock.getAsLong();
    StringBuilder s = new StringBuilder();
    for (Waiting w : starved) {
      s.append(s.length() == 0 ? "" : "; ")
          .append("trainer ")
          .append(w.trainer())
          .append(" has had credit and a pool holding a batch, and no batch written, since ")
          .append(Instant.ofEpochMilli(w.sinceMs()))
          .append(" (")
          .append((now - w.sinceMs()) / 1000)
          .append(" s)");
    }
    lastProblem = s.toString();
    return lastProblem;
  }
}
