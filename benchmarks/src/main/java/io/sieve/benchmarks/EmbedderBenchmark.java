package io.sieve.benchmarks;

import io.sieve.embed.HashingEmbedder;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** The hashing embedder on a 200-character text, d = 384. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
public class EmbedderBenchmark {

  private HashingEmbedder embedder;
  private String[] texts;
  private int next;

  @Setup(Level.Trial)
  public void setUp() {
    embedder = new HashingEmbedder(384);
    Random rng = new Random(3);
    texts = new String[64];
    for (int i = 0; i < texts.length; i++) {
      texts[i] = Data.text(rng, 200) + " " + i;
    }
  }

  @Benchmark
  public float[] embed() {
    next = (next + 1) & 63;
    return embedder.embed(texts[next]);
  }
}
