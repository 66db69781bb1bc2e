package io.sieve.benchmarks;

import io.sieve.cluster.NearestSearch;
import io.sieve.cluster.SimHash;
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

/**
 * The near-duplicate signature of one d = 384 embedding, computed for every pooled example: the
 * structured rotation {@link SimHash} uses, against 256 Gaussian hyperplanes (its former family,
 * 256 dot products on the same Vector API kernel as the nearest-centre search).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class SimHashBenchmark {

  static final int DIMENSION = 384;

  private SimHash hash;
  private float[] planes;
  private Data.Queries queries;
  private final long[] out = new long[SimHash.WORDS];

  @Setup(Level.Trial)
  public void setUp() {
    Random rng = new Random(11);
    hash = new SimHash(DIMENSION);
    planes = new float[SimHash.BITS * DIMENSION];
    for (int i = 0; i < planes.length; i++) {
      planes[i] = (float) rng.nextGaussian();
    }
    queries = new Data.Queries(rng, DIMENSION);
  }

  /** What {@link SimHash#signature} computes: three sign-and-Hadamard rounds. */
  @Benchmark
  public long[] rotation() {
    hash.signature(queries.next(), out, 0);
    return out;
  }

  /** The former family: the sign of the dot product with each of 256 Gaussian hyperplanes. */
  @Benchmark
  public long[] gaussianPlanes() {
    float[] x = queries.next();
    for (int w = 0; w < SimHash.WORDS; w++) {
      long word = 0L;
      for (int b = 0; b < Long.SIZE; b++) {
        int plane = w * Long.SIZE + b;
        if (NearestSearch.dot(x, planes, plane * DIMENSION, DIMENSION) >= 0f) {
          word |= 1L << b;
        }
      }
      out[w] = word;
    }
    return out;
  }
}
