package io.sieve.benchmarks;

import io.sieve.cluster.Centroids;
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

/** Nearest-centre search for one d = 384 embedding against k centres: the assignment hot path. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class AssignBenchmark {

  static final int DIMENSION = 384;
  static final int QUERIES = 64;

  @Param({"64", "256", "1024"})
  int k;

  private Centroids centroids;
  private float[] flat;
  private float[][] queries;
  private int next;

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
    queries = new float[QUERIES][];
    for (int q = 0; q < QUERIES; q++) {
      queries[q] = Data.unitVector(rng, DIMENSION);
    }
  }

  private float[] query() {
    next = (next + 1) & (QUERIES - 1);
    return queries[next];
  }

  /** Production: {@code Centroids.nearestIndex}, four scalar accumulators per row. */
  @Benchmark
  public int scalar4() {
    return centroids.nearestIndex(query());
  }

  @Benchmark
  public int scalarPlain() {
    return NearestKernels.plain(query(), flat, k, DIMENSION);
  }

  @Benchmark
  public int scalar8() {
    return NearestKernels.scalar8(query(), flat, k, DIMENSION);
  }

  @Benchmark
  public int vector() {
    return NearestKernels.vector(query(), flat, k, DIMENSION);
  }
}
