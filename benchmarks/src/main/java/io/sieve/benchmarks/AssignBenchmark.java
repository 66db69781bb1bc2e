package io.sieve.benchmarks;

import io.sieve.cluster.Centroids;
import io.sieve.cluster.NearestSearch;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Nearest-centre search for one d = 384 embedding against k centres: the assignment hot path (also
 * the near-duplicate window's scan, with k = the window size).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class AssignBenchmark {

  static final int DIMENSION = 384;

  @Param({"64", "256", "1024"})
  int k;

  private Centroids centroids;
  private float[] flat;
  private Data.Queries queries;

  @Setup(Level.Trial)
  public void setUp() {
    Random rng = new Random(7);
    flat = new float[k * DIMENSION];
    int[] ids = new int[k];
    for (int r = 0; r < k; r++) {
      ids[r] = r;
      float[] c = Data.unitVector(rng, DIMENSION);
      System.arraycopy(c, 0, flat, r * DIMENSION, DIMENSION);
    }
    centroids = new Centroids(DIMENSION, ids, flat);
    if (!NearestSearch.VECTOR) {
      throw new IllegalStateException("run with --add-modules jdk.incubator.vector");
    }
    queries = new Data.Queries(rng, DIMENSION);
  }

  /** The scalar fallback: four accumulators per row ({@code Vectors.dot}). */
  @Benchmark
  public int scalar4() {
    return NearestKernels.scalar4(queries.next(), flat, k, DIMENSION);
  }

  @Benchmark
  public int scalarPlain() {
    return NearestKernels.plain(queries.next(), flat, k, DIMENSION);
  }

  @Benchmark
  public int scalar8() {
    return NearestKernels.scalar8(queries.next(), flat, k, DIMENSION);
  }

  /**
   * Production: {@code Centroids.nearestIndex}, which runs the Vector API kernel when the JVM has
   * {@code jdk.incubator.vector} (this fork does); the setup checks that it does.
   */
  @Benchmark
  public int vector() {
    return centroids.nearestIndex(queries.next());
  }
}
