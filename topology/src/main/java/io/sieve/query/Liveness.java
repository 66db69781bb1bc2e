package io.sieve.query;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Whether the instance makes progress, beyond what Kafka Streams' state says: a stream thread that
 * fails on the same record again and again is replaced each time and the state stays RUNNING, while
 * nothing moves. {@code threshold} thread failures within {@code window} make the instance
 * unhealthy; it is healthy again once a whole window passes without one. A task that waits rather
 * than fails (a send blocked on a missing topic, retried for task.timeout.ms) is caught twice over,
 * by two views that do not depend on each other: {@link TaskStalls} (a fetched record not committed
 * for {@code stall} ms) and {@link ThreadStalls} (a stream thread that has not polled, processed
 * nor committed for {@code stall} ms, which also catches a block with no input waiting).
 *
 * <p>Holds at most {@code threshold} timestamps, one entry per recent input partition and one per
 * stream thread of this instance.
 */
public final class Liveness {

  private final int threshold;
  private final long windowMs;
  private final LongSupplier clock;
  private final Deque<Long> failures = new ArrayDeque<>();
  private final TaskStalls stalls;
  private final ThreadStalls threadStalls;
  private long total;
  private String lastThreadStall;

  /**
   * The instance's progress now: its active tasks' offsets and its stream threads' activity.
   *
   * @param tasks the active tasks' offsets
   * @param threads the stream threads' activity counts
   */
  public record Progress(List<TaskStalls.Offsets> tasks, List<ThreadStalls.Activity> threads) {

    /** Read from {@code streams} now (a thread's task set can change under the read). */
    public static Progress of(KafkaStreams streams) {
      return new Progress(TaskStalls.of(streams), ThreadStalls.of(streams));
    }
  }

  /** Thread failures only: no task is ever judged stuck. */
  public Liveness(int threshold, long windowMs) {
    this(threshold, windowMs, Long.MAX_VALUE, System::currentTimeMillis);
  }

  public Liveness(int threshold, long windowMs, long stallMs) {
    this(threshold, windowMs, stallMs, System::currentTimeMillis);
  }

  Liveness(int threshold, long windowMs, long stallMs, LongSupplier clock) {
    if (threshold < 1 || windowMs < 1) {
      throw new IllegalArgumentException("threshold and window must be positive");
    }
    this.threshold = threshold;
    this.windowMs = windowMs;
    this.clock = clock;
    this.stalls = new TaskStalls(stallMs, clock);
    this.threadStalls = new ThreadStalls(stallMs, clock);
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
   * Null when healthy, else why not: threads replaced in a loop, a stuck task or a stuck thread of
   * {@code progress} (the instance's, now; null when not readable: the last verdict holds).
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
    if (failures != null) {
      return failures;
    }
    if (tasks != null && threads != null) {
      return tasks + "; " + threads;
    }
    return tasks != null ? tasks : threads;
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
