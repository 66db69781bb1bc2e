package io.sieve.query;

import io.sieve.avro.TrainerState;
import io.sieve.config.BatchTopics;
import io.sieve.policy.PlanContext;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Whether the instance makes progress, beyond what Kafka Streams' state says: a stream thread that
 * fails on the same record again and again is replaced each time and the state stays RUNNING, while
 * nothing moves. {@code threshold} thread failures within {@code window} make the instance
 * unhealthy; it is healthy again once a whole window passes without one. A task that waits rather
 * than fails (a send blocked on a missing topic, retried for task.timeout.ms) is caught twice over,
 * by two views that do not depend on each other: {@link TaskStalls} (a fetched record not committed
 * for {@code stall} ms) and {@link ThreadStalls} (a stream thread that has not polled, processed
 * nor committed for {@code stall} ms, which also catches a block with no input waiting). A trainer
 * the planner should serve and does not is caught by {@link TrainerStarvation}: credit and a pool
 * holding a batch, and no batch written, for {@code stall} ms.
 *
 * <p>Holds at most {@code threshold} timestamps, one entry per recent input partition, one per
 * stream thread and one per trainer of this instance.
 */
public final class Liveness {

  private final int threshold;
  private final long windowMs;
  private final long stallMs;
  private final LongSupplier clock;
  private final Deque<Long> failures = new ArrayDeque<>();
  private final TaskStalls stalls;
  private final ThreadStalls threadStalls;
  private final TrainerStarvation starvation;
  private long total;
  private String lastThreadStall;

  /**
   * The instance's progress now: its active tasks' offsets, its stream threads' activity, and its
   * trainers with the pool they draw from.
   *
   * @param tasks the active tasks' offsets
   * @param threads the stream threads' activity counts
   * @param trainers the trainers this instance owns; null when their store is not readable now
   * @param pool the pool sizes and group counts the planner reads; null when not readable now
   */
  public record Progress(
      List<TaskStalls.Offsets> tasks,
      List<ThreadStalls.Activity> threads,
      List<TrainerState> trainers,
      PlanContext pool) {}

  /** Thread failures only: no task is ever judged stuck. */
  public Liveness(int threshold, long windowMs) {
    this(threshold, windowMs, Long.MAX_VALUE, System::currentTimeMillis);
  }

  public Liveness(int threshold, long windowMs, long stallMs) {
    this(threshold, windowMs, stallMs, System::currentTimeMillis);
  }

  /**
   * With a trainer judged starved only while its batch topic is {@code ready}: one whose topic is
   * missing or collides waits by design (shown by {@code sieve_trainers_paused} and dead letters),
   * and a restart would not feed it.
   */
  public Liveness(int threshold, long windowMs, long stallMs, BatchTopics ready) {
    this(threshold, windowMs, stallMs, System::currentTimeMillis, ready);
  }

  Liveness(int threshold, long windowMs, long stallMs, LongSupplier clock) {
    this(threshold, windowMs, stallMs, clock, BatchTopics.ALL_READY);
  }

  Liveness(int threshold, long windowMs, long stallMs, LongSupplier clock, BatchTopics ready) {
    if (threshold < 1 || windowMs < 1) {
      throw new IllegalArgumentException("threshold and window must be positive");
    }
    this.threshold = threshold;
    this.windowMs = windowMs;
    this.stallMs = stallMs;
    this.clock = clock;
    this.stalls = new TaskStalls(stallMs, clock);
    this.threadStalls = new ThreadStalls(stallMs, clock);
    this.starvation = new TrainerStarvation(stallMs, clock, ready);
  }

  /** A stream thread failed and is being replaced. */
  public synchronized void threadFailed() {
    failures.addLast(clock.getAsLong());
    total++;
    while (failures.size() > threshold) {
      failures.removeFirst();
    }
  }

  /**
   * Null when healthy, else why not: threads replaced in a loop, a stuck task, a stuck thread or a
   * starved trainer of {@code progress} (the instance's, now; null, or a part of it null, when not
   * readable: the last verdict on that part holds).
   */
  public String problem(Progress progress) {
    String failures = problem();
    // observed even when the failures already say why: the stall clocks keep their place
    String tasks = stalls.problem(progress == null ? null : progress.tasks());
    String threads;
    synchronized (this) {
      if (progress != null) {
        lastThreadStall = threadStalls.problem(progress.threads());
      }
      threads = lastThreadStall;
    }
    String trainers =
        progress == null
            ? starvation.problem(null, null)
            : starvation.problem(progress.trainers(), progress.pool());
    if (failures != null) {
      return failures;
    }
    StringBuilder s = new StringBuilder();
    for (String part : new String[] {tasks, threads, trainers}) {
      if (part != null) {
        s.append(s.length() == 0 ? "" : "; ").append(part);
      }
    }
    return s.length() == 0 ? null : s.toString();
  }

  /**
   * The trainers of {@code trainers} that wait for a batch the planner would plan, with since when
   * (epoch ms), by trainer id; observed as {@code /health} does.
   */
  public Map<String, Long> waitingTrainers(List<TrainerState> trainers, PlanContext pool) {
    return starvation.observe(trainers, pool);
  }

  /** {@code stall} ms: how long a trainer may wait before it counts as starved. */
  public long stallMs() {
    return stallMs;
  }

  /** Null when no thread is replaced in a loop, else why not. */
  public synchronized String problem() {
    long now = clock.getAsLong();
    while (!failures.isEmpty() && failures.peekFirst() < now - windowMs) {
      failures.removeFirst();
    }
    if (failures.size() >= threshold) {
      return failures.size()
          + " stream thread failures in the last "
          + windowMs / 1000
          + " s: a thread is being replaced in a loop";
    }
    return null;
  }

  /** Stream thread failures since start. */
  public synchronized long totalFailures() {
    return total;
  }
}
