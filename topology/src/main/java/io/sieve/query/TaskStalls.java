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
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;

/**
 * Whether a task of this instance is stuck: it has input waiting (the end offset Kafka Streams last
 * fetched lies beyond the offset it committed) yet has committed nothing for {@code stall} ms.
 *
 * <p>A task that waits on a missing topic (a send that blocks, Kafka Streams retrying the task for
 * task.timeout.ms) neither fails its thread nor leaves RUNNING; its committed offsets are what
 * stops moving. The offsets are Kafka Streams' own ({@link TaskMetadata#committedOffsets()} and
 * {@link TaskMetadata#endOffsets()}), read when {@code /health} asks: nothing runs in between, and
 * the stall is timed from the first answer that saw the task waiting without progress.
 *
 * <p>A partition with no commit since the task was assigned here (committed offset -1) is not
 * judged: a task that has nothing to do never commits, so -1 says nothing about progress. A task
 * stuck from its assignment on shows once its thread fails (task.timeout.ms, then {@link
 * Liveness}'s thread-failure rule).
 *
 * <p>Holds one entry per task currently assigned to this instance.
 */
public final class TaskStalls {

  /** One task's offsets, by partition, as Kafka Streams reports them (-1: none yet). */
  public record Offsets(
      String task, Map<TopicPartition, Long> committed, Map<TopicPartition, Long> end) {

    /** Input waiting on the partitions judged: end offset minus committed offset, summed. */
    long waiting() {
      long lag = 0;
      for (Map.Entry<TopicPartition, Long> e : committed.entrySet()) {
        Long endOffset = end.get(e.getKey());
        if (e.getValue() >= 0 && endOffset != null && endOffset > e.getValue()) {
          lag += endOffset - e.getValue();
        }
      }
      return lag;
    }
  }

  /** A stuck task: since when it has committed nothing while input waited, and how much. */
  public record Stall(String task, long sinceMs, long waiting) {}

  private record Seen(Map<TopicPartition, Long> committed, long waitingSinceMs) {}

  private final long stallMs;
  private final LongSupplier clock;
  private final Map<String, Seen> seen = new HashMap<>();
  private String lastProblem;

  public TaskStalls(long stallMs) {
    this(stallMs, System::currentTimeMillis);
  }

  TaskStalls(long stallMs, LongSupplier clock) {
    if (stallMs < 1) {
      throw new IllegalArgumentException("stall must be positive");
    }
    this.stallMs = stallMs;
    this.clock = clock;
  }

  /**
   * The active tasks of {@code streams}' live threads, their offsets copied (Kafka Streams'
   * metadata views the stream threads' own maps).
   */
  public static List<Offsets> of(KafkaStreams streams) {
    List<Offsets> tasks = new ArrayList<>();
    for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
      for (TaskMetadata task : thread.activeTasks()) {
        tasks.add(
            new Offsets(
                task.taskId().toString(),
                Map.copyOf(task.committedOffsets()),
                Map.copyOf(task.endOffsets())));
      }
    }
    return tasks;
  }

  /** Takes in the tasks' current offsets; returns the tasks stuck for {@code stall} ms or more. */
  public synchronized List<Stall> observe(Collection<Offsets> tasks) {
    long now = clock.getAsLong();
    Set<String> current = new HashSet<>();
    List<Stall> stalls = new ArrayList<>();
    for (Offsets task : tasks) {
      current.add(task.task());
      long waiting = task.waiting();
      Seen before = seen.get(task.task());
      long since;
      if (waiting == 0) {
        since = -1;
      } else if (before == null
          || !before.committed().equals(task.committed())
          || before.waitingSinceMs() < 0) {
        // first seen waiting, or it committed since the last look: the clock starts now
        since = now;
      } else {
        since = before.waitingSinceMs();
      }
      seen.put(task.task(), new Seen(task.committed(), since));
      if (since >= 0 && now - since >= stallMs) {
        stalls.add(new Stall(task.task(), since, waiting));
      }
    }
    // tasks moved elsewhere are forgotten: the map holds this instance's tasks only
    seen.keySet().retainAll(current);
    stalls.sort((a, b) -> a.task().compareTo(b.task()));
    return stalls;
  }

  /**
   * Null when no task is stuck, else which ones and since when; with {@code tasks} null (not
   * readable now) the last verdict.
   */
  public synchronized String problem(Collection<Offsets> tasks) {
    if (tasks == null) {
      return lastProblem;
    }
    List<Stall> stalls = observe(tasks);
    if (stalls.isEmpty()) {
      lastProblem = null;
      return null;
    }
    long now = clock.getAsLong();
    StringBuilder s = new StringBuilder();
    for (Stall stall : stalls) {
      s.append(s.length() == 0 ? "" : "; ")
          .append("task ")
          .append(stall.task())
          .append(" has had ")
          .append(stall.waiting())
          .append(" input records waiting and committed nothing since ")
          .append(Instant.ofEpochMilli(stall.sinceMs()))
          .append(" (")
          .append((now - stall.sinceMs()) / 1000)
          .append(" s)");
    }
    lastProblem = s.toString();
    return lastProblem;
  }
}
