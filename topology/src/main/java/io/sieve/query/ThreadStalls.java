package io.sieve.query;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;

/**
 * Whether a stream thread of this instance is stuck: it has neither polled, processed, punctuated
 * nor committed for {@code stall} ms. A running thread polls at least every poll.ms (100 ms) when
 * idle, so a thread whose counts stand still is blocked somewhere in its loop: a send waiting on a
 * missing topic (in a process call or a punctuation, with or without input waiting), a commit that
 * does not return. The counts are Kafka Streams' own thread metrics, which only the thread moves:
 * unlike offsets, they need no input waiting to show a block.
 *
 * <p>Only a running thread is judged: not one being created or shut down, nor one in a rebalance.
 * Holds one entry per live thread.
 */
public final class ThreadStalls {

  /**
   * The thread metrics whose sum is a thread's activity: each grows with every step of its loop.
   */
  static final Set<String> COUNTS =
      Set.of("poll-total", "process-total", "punctuate-total", "commit-total");

  /** One thread's state and activity count (polls, records, punctuations and commits so far). */
  public record Activity(String thread, String state, long count) {}

  /** A stuck thread: since when its activity count has stood still. */
  public record Stall(String thread, long sinceMs) {}

  private record Seen(long count, long sinceMs, boolean judged) {}

  private final long stallMs;
  private final LongSupplier clock;
  private final Map<String, Seen> seen = new HashMap<>();

  public ThreadStalls(long stallMs, LongSupplier clock) {
    if (stallMs < 1) {
      throw new IllegalArgumentException("stall must be positive");
    }
    this.stallMs = stallMs;
    this.clock = clock;
  }

  /** The activity of {@code streams}' threads, from its metrics. */
  public static List<Activity> of(KafkaStreams streams) {
    Map<String, Long> counts = new HashMap<>();
    for (Map.Entry<MetricName, ? extends Metric> m : streams.metrics().entrySet()) {
      MetricName name = m.getKey();
      if ("stream-thread-metrics".equals(name.group()) && COUNTS.contains(name.name())) {
        String thread = name.tags().get("thread-id");
        if (thread != null && m.getValue().metricValue() instanceof Number n) {
          counts.merge(thread, n.longValue(), Long::sum);
        }
      }
    }
    List<Activity> threads = new ArrayList<>();
    for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
      Long count = counts.get(thread.threadName());
      if (count != null) {
        threads.add(new Activity(thread.threadName(), thread.threadState(), count));
      }
    }
    return threads;
  }

  /**
   * Whether a thread in {@code state} is judged: only a running one. A thread being created or shut
   * down does not loop; one in a rebalance (partitions revoked or assigned) may wait on the slowest
   * member of the group to rejoin, which is the group's delay, not this thread's block, and a
   * liveness probe that restarted the instance for it would only start another rebalance.
   */
  private static boolean judged(String state) {
    return "RUNNING".equals(state);
  }

  /** Takes in the threads' activity; returns those stuck for {@code stall} ms or more. */
  public synchronized List<Stall> observe(Collection<Activity> threads) {
    long now = clock.getAsLong();
    Set<String> current = new HashSet<>();
    List<Stall> stalls = new ArrayList<>();
    for (Activity thread : threads) {
      current.add(thread.thread());
      Seen before = seen.get(thread.thread());
      boolean judged = judged(thread.state());
      // the clock starts over when the thread moves, and when it comes back to being judged
      long since =
          before == null || before.count() != thread.count() || !judged || !before.judged()
              ? now
              : before.sinceMs();
      seen.put(thread.thread(), new Seen(thread.count(), since, judged));
      if (judged && now - since >= stallMs) {
        stalls.add(new Stall(thread.thread(), since));
      }
    }
    // replaced threads are forgotten: the map holds this instance's live threads only
    seen.keySet().retainAll(current);
    stalls.sort((a, b) -> a.thread().compareTo(b.thread()));
    return stalls;
  }

  /** Null when no thread is stuck, else which ones and since when. */
  public String problem(Collection<Activity> threads) {
    List<Stall> stalls = observe(threads);
    if (stalls.isEmpty()) {
      return null;
    }
    long now = clock.getAsLong();
    StringBuilder s = new StringBuilder();
    for (Stall stall : stalls) {
      s.append(s.length() == 0 ? "" : "; ")
          .append("stream thread ")
          .append(stall.thread())
          .append(" has neither polled, processed nor committed since ")
          .append(Instant.ofEpochMilli(stall.sinceMs()))
          .append(" (")
          .append((now - stall.sinceMs()) / 1000)
          .append(" s)");
    }
    return s.toString();
  }
}
