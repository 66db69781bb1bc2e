package io.sieve.query;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;

/**
 * Whether an input partition of this instance is stuck: a record of it has been fetched and not
 * committed, and its committed offset has not moved for {@code stall} ms.
 *
 * <p>A task that waits on a missing topic (a send that blocks, Kafka Streams retrying the task for
 * task.timeout.ms) neither fails its thread nor leaves RUNNING; its committed offsets are what
 * stops moving. The offsets are Kafka Streams' own, read when {@code /health} asks: {@link
 * TaskMetadata#endOffsets()} is the offset of the last record fetched (not the next offset), {@link
 * TaskMetadata#committedOffsets()} the next offset to read. So a partition has input waiting when
 * fetched &gt;= committed; caught up it reads fetched = committed - 1, or - 2 when a transaction
 * marker follows the last record (the committed offset is the consumer's position, past the
 * marker), and a marker is never fetched as a record, so markers cannot look like waiting input.
 *
 * <p>Judged by partition, not by task: a task revived after an aborted transaction, or moved
 * between this instance's threads, reports committed offset -1 until it commits again, so the last
 * committed offset seen here is carried over (while the partition was seen within the last {@code
 * stall} ms) and the stall clock keeps running while the new task has fetched nothing. A partition
 * with no commit ever seen here and a record fetched counts as waiting: a task that runs commits
 * within commit.interval.ms.
 *
 * <p>Holds one entry per input partition seen within the last {@code stall} ms.
 */
public final class TaskStalls {

  /** One task's offsets, by partition, as Kafka Streams reports them (-1: none yet). */
  public record Offsets(
      String task, Map<TopicPartition, Long> committed, Map<TopicPartition, Long> end) {}

  /**
   * A stuck partition of a task: since when it has had a record fetched ({@code fetched}, the
   * offset of the last one) beyond its committed offset ({@code committed}, -1 when none seen here)
   * with no commit.
   */
  public record Stall(
      String task, TopicPartition partition, long sinceMs, long fetched, long committed) {}

  /** What this instance last knew of a partition, and when it saw it. */
  private record Seen(long committed, long waitingSinceMs, long seenMs) {}

  private final long stallMs;
  private final LongSupplier clock;
  private final Map<TopicPartition, Seen> seen = new HashMap<>();
  private long lastObservedMs = Long.MIN_VALUE;
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

  /**
   * Takes in the tasks' current offsets; returns the partitions stuck for {@code stall} ms or more.
   */
  public synchronized List<Stall> observe(Collection<Offsets> tasks) {
    long now = clock.getAsLong();
    Set<TopicPartition> current = new HashSet<>();
    List<Stall> stalls = new ArrayList<>();
    for (Offsets task : tasks) {
      Set<TopicPartition> partitions =
          new TreeSet<>(Comparator.comparing(TopicPartition::toString));
      partitions.addAll(task.committed().keySet());
      partitions.addAll(task.end().keySet());
      for (TopicPartition p : partitions) {
        current.add(p);
        long reported = task.committed().getOrDefault(p, -1L);
        long fetched = task.end().getOrDefault(p, -1L);
        Seen before = seen.get(p);
        // seen at the last look, or gone for less than the stall time (a revival, a move between
        // threads): what was known of it still holds
        boolean carried =
            before != null
                && (before.seenMs() >= lastObservedMs || now - before.seenMs() < stallMs);
        long committed = reported >= 0 ? reported : carried ? before.committed() : -1;
        boolean waiting = fetched >= 0 && fetched >= committed;
        long since;
        if (carried && reported < 0 && fetched < 0) {
          // a task new to this thread that has fetched nothing yet says nothing: the clock keeps
          // its place (judged again once it fetches), and nothing is reported meanwhile
          seen.put(p, new Seen(committed, before.waitingSinceMs(), now));
          continue;
        } else if (!waiting) {
          since = -1;
        } else if (!carried || before.waitingSinceMs() < 0 || before.committed() != committed) {
          // first seen waiting, or it committed since the last look: the clock starts now
          since = now;
        } else {
          since = before.waitingSinceMs();
        }
        seen.put(p, new Seen(committed, since, now));
        if (since >= 0 && now - since >= stallMs) {
          stalls.add(new Stall(task.task(), p, since, fetched, committed));
        }
      }
    }
    // a partition gone for the stall time is forgotten: another instance may have moved it on
    seen.entrySet()
        .removeIf(e -> !current.contains(e.getKey()) && now - e.getValue().seenMs() >= stallMs);
    lastObservedMs = now;
    stalls.sort(Comparator.comparing(Stall::task).thenComparing(s -> s.partition().toString()));
    return stalls;
  }

  /**
   * Null when no partition is stuck, else which tasks and since when; with {@code tasks} null (not
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
    Map<String, List<Stall>> byTask = new LinkedHashMap<>();
    for (Stall stall : stalls) {
      byTask.computeIfAbsent(stall.task(), t -> new ArrayList<>()).add(stall);
    }
    StringBuilder s = new StringBuilder();
    for (Map.Entry<String, List<Stall>> task : byTask.entrySet()) {
      long since = Long.MAX_VALUE;
      StringBuilder parts = new StringBuilder();
      for (Stall stall : task.getValue()) {
        since = Math.min(since, stall.sinceMs());
        parts
            .append(parts.length() == 0 ? "" : ", ")
            .append(stall.partition())
            .append(" fetched to offset ")
            .append(stall.fetched())
            .append(stall.committed() < 0 ? ", none committed" : ", committed ")
            .append(stall.committed() < 0 ? "" : Long.toString(stall.committed()));
      }
      s.append(s.length() == 0 ? "" : "; ")
          .append("task ")
          .append(task.getKey())
          .append(" has had input waiting (")
          .append(parts)
          .append(") and committed nothing since ")
          .append(Instant.ofEpochMilli(since))
          .append(" (")
          .append((now - since) / 1000)
          .append(" s)");
    }
    lastProblem = s.toString();
    return lastProblem;
  }
}
