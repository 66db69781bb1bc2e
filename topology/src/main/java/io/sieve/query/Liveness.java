package io.sieve.query;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.function.LongSupplier;

/**
 * Whether the instance makes progress, beyond what Kafka Streams' state says: a stream thread that
 * fails on the same record again and again is replaced each time and the state stays RUNNING, while
 * nothing moves. {@code threshold} thread failures within {@code window} make the instance
 * unhealthy; it is healthy again once a whole window passes without one. A task that waits rather
 * than fails (a send blocked on a missing topic, retried for task.timeout.ms) is caught by {@link
 * TaskStalls}: input waiting and nothing committed for {@code stall} ms.
 *
 * <p>Holds at most {@code threshold} timestamps, and one entry per task of this instance.
 */
public final class Liveness {

  private final int threshold;
  private final long windowMs;
  private final LongSupplier clock;
  private final Deque<Long> failures = new ArrayDeque<>();
  private final TaskStalls stalls;
  private long total;

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
   * Null when healthy, else why not: threads replaced in a loop, or a task of {@code tasks} (the
   * instance's active tasks, now; null when not readable) stuck.
   */
  public String problem(Collection<TaskStalls.Offsets> tasks) {
    String threads = problem();
    // observed even when the threads already say why: the stall clock keeps its place
    String stuck = stalls.problem(tasks);
    return threads != null ? threads : stuck;
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
