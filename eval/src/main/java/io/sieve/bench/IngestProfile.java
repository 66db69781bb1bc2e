package io.sieve.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a topology's stream threads spent their time, from the execution samples of a JFR
 * recording: by <em>stage</em> (the innermost Sieve processor on the stack, or, outside every
 * processor, Kafka Streams' own work: reading and decoding records, polling, committing) and,
 * within a stage, by <em>kind of work</em> (changelog writes, RocksDB, Avro, the near-duplicate
 * scan, ...).
 *
 * <p>Execution samples are of Java code only: time in the kernel (socket reads and writes,
 * wake-ups) and in RocksDB's native code is not in them, which is why the benchmark reports the
 * stream threads' user-mode CPU beside their total.
 */
final class IngestProfile {

  private IngestProfile() {}

  /** Kinds of work inside a stage, first match wins; a frame matches by substring. */
  private static final List<String[]> WORK =
      List.of(
          new String[] {"changelog write", "StoreChangeLogger"},
          new String[] {"changelog write", "ChangeLogging"},
          new String[] {"send to a topic", "SinkNode"},
          new String[] {"RocksDB", "org.rocksdb."},
          new String[] {"RocksDB", "RocksDBStore"},
          new String[] {"Avro encoding", "org.apache.avro.io.BinaryEncoder"},
          new String[] {"Avro encoding", "org.apache.avro.io.BufferedBinaryEncoder"},
          new String[] {"Avro encoding", "DatumWriter"},
          new String[] {"Avro decoding", "org.apache.avro."},
          new String[] {"near-duplicate scan", "io.sieve.pool.NearIndex"},
          new String[] {"SimHash signature", "io.sieve.cluster.SimHash"},
          new String[] {"Vendi sketch", "io.sieve.diversity."},
          new String[] {"vector kernels", "io.sieve.simd."},
          new String[] {"vector kernels", "io.sieve.cluster.NearestSearch"},
          new String[] {"vector kernels", "io.sieve.cluster.Vectors"},
          new String[] {"store lookup", "MeteredKeyValueStore"});

  /** Kafka Streams' own work outside every Sieve processor, first match wins. */
  private static final List<String[]> OUTSIDE =
      List.of(
          new String[] {"Kafka Streams: commit", "TaskManager.commit"},
          new String[] {"Kafka Streams: commit", "commitTransaction"},
          new String[] {"Kafka Streams: poll", "Consumer.poll"},
          new String[] {"Kafka Streams: record decoding", "SourceNode.deserialize"},
          new String[] {"Kafka Streams: record decoding", "RecordDeserializer"},
          new String[] {"Kafka Streams: punctuation", "punctuate"});

  /**
   * The stage of a sample: the class of the innermost Sieve processor frame, or Kafka Streams' own
   * work around it.
   *
   * @param frames the stack, innermost first, each {@code package.Class.method}
   */
  static String stage(List<String> frames) {
    int at = processorFrame(frames);
    if (at >= 0) {
      String cls = className(frames.get(at));
      return cls.substring(cls.lastIndexOf('.') + 1);
    }
    return firstMatch(OUTSIDE, frames, "Kafka Streams: other");
  }

  /** The kind of work of a sample within its stage: what runs beneath the stage's frame. */
  static String work(List<String> frames) {
    int at = processorFrame(frames);
    List<String> beneath = at >= 0 ? frames.subList(0, at) : frames;
    return firstMatch(WORK, beneath, at >= 0 ? "own code" : "other");
  }

  /** The name of the first rule that some frame contains, or {@code otherwise}. */
  private static String firstMatch(List<String[]> rules, List<String> frames, String otherwise) {
    for (String[] rule : rules) {
      for (String f : frames) {
        if (f.contains(rule[1])) {
          return rule[0];
        }
      }
    }
    return otherwise;
  }

  /** Index of the innermost frame of a Sieve processor (its own methods and lambdas), or −1. */
  private static int processorFrame(List<String> frames) {
    for (int i = 0; i < frames.size(); i++) {
      String f = frames.get(i);
      if (!f.startsWith("io.sieve.")) {
        continue;
      }
      if (className(f).endsWith("Processor")) {
        return i;
      }
    }
    return -1;
  }

  /** The class of a {@code package.Class.method} frame, a lambda's enclosing class. */
  private static String className(String frame) {
    String cls = frame.substring(0, frame.lastIndexOf('.'));
    int lambda = cls.indexOf("$$Lambda");
    return lambda >= 0 ? cls.substring(0, lambda) : cls;
  }

  /** Sample counts by stage and kind of work, and by innermost frame. */
  static final class Tally {
    private final Map<String, Map<String, Long>> byStage = new TreeMap<>();
    private final Map<String, Long> byFrame = new TreeMap<>();
    private long samples;
    private long interpreted;

    void add(List<String> frames) {
      add(frames, false);
    }

    /**
     * @param interpretedTop whether the innermost frame ran in the interpreter: a share of those
     *     above a few per cent says the JIT had not settled and the profile is not of steady state
     */
    void add(List<String> frames, boolean interpretedTop) {
      if (frames.isEmpty()) {
        return;
      }
      samples++;
      if (interpretedTop) {
        interpreted++;
      }
      byStage
          .computeIfAbsent(stage(frames), s -> new TreeMap<>())
          .merge(work(frames), 1L, Long::sum);
      byFrame.merge(frames.get(0), 1L, Long::sum);
    }

    long samples() {
      return samples;
    }

    /**
     * Shares of the samples: stages largest first, each with its kinds of work; and the ten
     * innermost frames most sampled.
     */
    Map<String, Object> shares() {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("samples", samples);
      out.put("interpreted", share(interpreted));
      Map<String, Object> stages = new LinkedHashMap<>();
      byStage.entrySet().stream()
          .sorted(Comparator.comparingLong((Map.Entry<String, Map<String, Long>> e) -> -sum(e)))
          .forEach(
              e -> {
                Map<String, Object> stage = new LinkedHashMap<>();
                stage.put("share", share(sum(e)));
                Map<String, Object> work = new LinkedHashMap<>();
                e.getValue().entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .forEach(w -> work.put(w.getKey(), share(w.getValue())));
                stage.put("work", work);
                stages.put(e.getKey(), stage);
              });
      out.put("stages", stages);
      Map<String, Object> top = new LinkedHashMap<>();
      byFrame.entrySet().stream()
          .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
          .limit(10)
          .forEach(f -> top.put(f.getKey(), share(f.getValue())));
      out.put("topFrames", top);
      return out;
    }

    private static long sum(Map.Entry<String, Map<String, Long>> e) {
      return e.getValue().values().stream().mapToLong(Long::longValue).sum();
    }

    private double share(long n) {
      return samples == 0 ? 0 : Math.round(1000.0 * n / samples) / 1000.0;
    }
  }

  /**
   * Adds to {@code tally} the execution samples of the stream threads (not the global one) of the
   * Kafka Streams application {@code applicationId} in the recording {@code jfr}.
   */
  static void read(Path jfr, String applicationId, Tally tally) throws IOException {
    try (RecordingFile file = new RecordingFile(jfr)) {
      while (file.hasMoreEvents()) {
        RecordedEvent e = file.readEvent();
        if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
          continue;
        }
        RecordedThread thread = e.getThread("sampledThread");
        String name = thread == null ? null : thread.getJavaName();
        if (name == null
            || !name.startsWith(applicationId + "-")
            || !name.contains("StreamThread")
            || name.contains("GlobalStreamThread")
            || e.getStackTrace() == null) {
          continue;
        }
        List<String> frames = new ArrayList<>();
        List<RecordedFrame> stack = e.getStackTrace().getFrames();
        boolean interpretedTop = !stack.isEmpty() && "Interpreted".equals(stack.get(0).getType());
        for (RecordedFrame f : stack) {
          RecordedMethod m = f.getMethod();
          if (m != null && m.getType() != null) {
            frames.add(m.getType().getName() + "." + m.getName());
          }
        }
        tally.add(frames, interpretedTop);
      }
    }
  }
}
