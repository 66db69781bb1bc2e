package io.sieve.bench;

import com.sun.management.OperatingSystemMXBean;
import io.sieve.embed.Embedder;
import io.sieve.embed.HashingEmbedder;
import io.sieve.embed.MiniLmEmbedder;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Throughput of the text embedders on short dictionary-style sentences: a plain timed loop, after a
 * warm-up, reporting the median of the timed rounds. Not a test: figures depend on the machine, and
 * wall-clock rates also on what else the machine runs, so the process CPU time per text (all
 * threads, ONNX Runtime's native ones included) is reported beside them.
 *
 * <pre>
 *   java -cp topology/target/sieve-topology-*-all.jar io.sieve.bench.EmbedderBenchmark [texts] [rounds]
 * </pre>
 *
 * Modes: {@code embed} calls {@link Embedder#embed} once per text on one thread; {@code embedAll}
 * hands the whole list to {@link Embedder#embedAll} (for MiniLM, the model's own thread pool).
 */
public final class EmbedderBenchmark {

  private static final String[] SUBJECTS = {
    "the dog", "a small child", "the old sailor", "my neighbour", "the committee", "a young bird",
    "the farmer", "an engineer", "the river", "the orchestra", "a stranger", "the teacher",
    "the wind", "her brother", "the company", "a tired nurse"
  };
  private static final String[] VERBS = {
    "barked at", "carried", "repaired", "painted", "ignored", "crossed", "praised", "measured",
    "followed", "borrowed", "described", "planted", "cleaned", "visited", "opened", "studied"
  };
  private static final String[] OBJECTS = {
    "the postman", "a heavy basket", "the broken fence", "the kitchen wall", "every warning",
    "the frozen lake", "the new policy", "the length of the room", "a narrow path", "some money",
    "the strange noise", "a row of trees", "the dusty shelves", "an old friend", "the letter",
    "the ancient map"
  };
  private static final String[] ENDINGS = {
    "",
    " in the morning",
    " before dinner",
    " with great care",
    " without a word",
    " after the storm",
    " at the edge of town",
    " for the second time",
    " on a cold day",
    " in silence"
  };

  private EmbedderBenchmark() {}

  public static void main(String[] args) {
    int texts = args.length > 0 ? Integer.parseInt(args[0]) : 500;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    run(sentences(texts, 7L), rounds, System.out);
  }

  /** Short sentences in the style of a dictionary's usage examples, reproducible from the seed. */
  static List<String> sentences(int n, long seed) {
    Random random = new Random(seed);
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String s =
          SUBJECTS[random.nextInt(SUBJECTS.length)]
              + " "
              + VERBS[random.nextInt(VERBS.length)]
              + " "
              + OBJECTS[random.nextInt(OBJECTS.length)]
              + ENDINGS[random.nextInt(ENDINGS.length)]
              + ".";
      out.add(Character.toUpperCase(s.charAt(0)) + s.substring(1));
    }
    return out;
  }

  static void run(List<String> texts, int rounds, PrintStream out) {
    out.printf(
        "%d sentences (mean %.0f chars), %d timed rounds after >= 2 s of warm-up, %d cores%n",
        texts.size(),
        texts.stream().mapToInt(String::length).average().orElse(0),
        rounds,
        Runtime.getRuntime().availableProcessors());
    HashingEmbedder hashing = new HashingEmbedder(MiniLmEmbedder.DIMENSION);
    long t0 = System.nanoTime();
    MiniLmEmbedder minilm = MiniLmEmbedder.shared();
    out.printf("MiniLM model loaded in %.0f ms%n", (System.nanoTime() - t0) / 1e6);
    out.printf(
        "%-10s %-9s %12s %12s %14s%n", "embedder", "mode", "texts/s", "µs/text", "CPU µs/text");
    report(out, "hashing", "embed", measure(texts, rounds, () -> loop(hashing, texts)));
    report(out, "minilm", "embed", measure(texts, rounds, () -> loop(minilm, texts)));
    report(out, "minilm", "embedAll", measure(texts, rounds, () -> minilm.embedAll(texts)));
  }

  private static void loop(Embedder embedder, List<String> texts) {
    for (String text : texts) {
      embedder.embed(text);
    }
  }

  /**
   * Medians over the timed rounds: texts per wall-clock second, process CPU µs per text. A round
   * repeats the pass over the texts until it lasts at least 0.2 s, above the CPU clock's tick.
   */
  private static double[] measure(List<String> texts, int rounds, Runnable pass) {
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    // warm up for at least 2 passes and 2 s, so the JIT has compiled the hot loops
    long warm = System.nanoTime();
    int warmPasses = 0;
    do {
      pass.run();
      warmPasses++;
    } while (warmPasses < 2 || System.nanoTime() - warm < 2_000_000_000L);
    long perPass = Math.max(1, (System.nanoTime() - warm) / warmPasses);
    int passes = (int) Math.max(1, Math.min(100_000, 200_000_000L / perPass));
    double[] rates = new double[rounds];
    double[] cpu = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      long cpuStart = os.getProcessCpuTime();
      long start = System.nanoTime();
      for (int p = 0; p < passes; p++) {
        pass.run();
      }
      double n = (double) texts.size() * passes;
      rates[r] = n / ((System.nanoTime() - start) / 1e9);
      cpu[r] = (os.getProcessCpuTime() - cpuStart) / 1e3 / n;
    }
    Arrays.sort(rates);
    Arrays.sort(cpu);
    return new double[] {rates[rounds / 2], cpu[rounds / 2]};
  }

  private static void report(PrintStream out, String embedder, String mode, double[] m) {
    out.printf("%-10s %-9s %,12.0f %,12.1f %,14.1f%n", embedder, mode, m[0], 1e6 / m[0], m[1]);
  }
}
