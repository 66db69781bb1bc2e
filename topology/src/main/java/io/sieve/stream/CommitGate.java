package io.sieve.stream;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.processor.api.ProcessingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds figures about writes a processor made until its stream thread has committed after them, so
 * that a transaction that aborts (and whose records are processed again) is not counted twice.
 *
 * <p>Kafka Streams tells a processor nothing of commits; its thread's {@code commit-total} metric
 * (stream-thread-metrics) counts the commits that succeeded, and under exactly-once a thread
 * commits one transaction holding every write of its tasks. A figure recorded while that count is
 * {@code n} is released once the count exceeds {@code n}. When the processor closes, what is
 * released goes out and the rest is dropped: a task that aborts is closed, and one that closes
 * cleanly in a rebalance commits outside the periodic commits this metric counts, so a few batches
 * written just before a rebalance may go uncounted rather than an aborted one counted.
 *
 * <p>Without that metric (a test driver) figures are recorded at once. Holds at most {@link
 * #MAX_HELD} figures: a thread that cannot commit that long stops writing anyway.
 */
public final class CommitGate {

  static final int MAX_HELD = 100_000;
  private static final Logger LOG = LoggerFactory.getLogger(CommitGate.class);

  private record Held(long commits, Runnable record) {}

  private final LongSupplier commits;
  private final Deque<Held> held = new ArrayDeque<>();

  /** {@code commits}: the thread's successful commits so far; null records at once. */
  public CommitGate(LongSupplier commits) {
    this.commits = commits;
  }

  /** The gate of the stream thread running {@code context}'s task (call from that thread). */
  public static CommitGate of(ProcessingContext context) {
    String thread = Thread.currentThread().getName();
    for (Map.Entry<MetricName, ? extends Metric> e : context.metrics().metrics().entrySet()) {
      MetricName name = e.getKey();
      if (name.name().equals("commit-total")
          && name.group().equals("stream-thread-metrics")
          && thread.equals(name.tags().get("thread-id"))) {
        Metric metric = e.getValue();
        LOG.debug("figures of thread {} wait for its commits", thread);
        return new CommitGate(() -> ((Number) metric.metricValue()).longValue());
      }
    }
    LOG.debug("no commit-total metric for thread {}: figures are recorded at once", thread);
    return new CommitGate(null);
  }

  /** Records {@code figure} once the thread has committed after now. */
  public void record(Runnable figure) {
    if (commits == null) {
      figure.run();
      return;
    }
    release();
    if (held.size() >= MAX_HELD) {
      held.removeFirst();
      LOG.warn("over {} figures waiting for a commit; the oldest is dropped", MAX_HELD);
    }
    held.addLast(new Held(commits.getAsLong(), figure));
  }

  /** Records every held figure the thread has committed since. */
  public void release() {
    if (commits == null || held.isEmpty()) {
      return;
    }
    long now = commits.getAsLong();
    while (!held.isEmpty() && held.peekFirst().commits() < now) {
      held.removeFirst().record().run();
    }
  }

  /** Releases what is committed and drops the rest: the task is closing. */
  public void close() {
    release();
    if (!held.isEmpty()) {
      LOG.debug("{} figures of writes not known to be committed dropped", held.size());
      held.clear();
    }
  }

  /** Figures waiting for a commit. */
  int held() {
    return held.size();
  }

  /**
   * A gate made on first use, so on the stream thread that runs the task (its commits are the
   * gate's), and closed with the processor.
   */
  public static final class Lazy {
    private final java.util.function.Supplier<CommitGate> make;
    private CommitGate gate;

    public Lazy(java.util.function.Supplier<CommitGate> make) {
      this.make = make;
    }

    public CommitGate get() {
      if (gate == null) {
        gate = make.get();
      }
      return gate;
    }

    public void close() {
      if (gate != null) {
        gate.close();
      }
    }
  }
}
