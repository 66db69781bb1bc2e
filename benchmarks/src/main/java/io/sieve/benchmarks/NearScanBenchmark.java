package io.sieve.benchmarks;

import io.sieve.cluster.SimHash;
import io.sieve.cluster.Vectors;
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
 * The near-duplicate index's scan for one newcomer: the Hamming distance of its signature to every
 * signature of a 10,000-example cluster, keeping those within the distance of ε = 0.01 (about 22
 * bits). A cluster's members share a direction (cosine {@code spread} to its centre), so their
 * signatures are closer to each other than random ones. Full distances (what the index does)
 * against an early exit that reads a signature's second half only when its first is within the
 * distance: faster where members differ in most bits, slower (mispredicted branches) where they are
 * close, so the index keeps the full distance.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
public class NearScanBenchmark {

  static final int DIMENSION = 384;
  static final int SLOTS = 10_000;

  /** Cosine of the cluster's members to its centre. */
  @Param({"0.5", "0.8", "0.95"})
  public double spread;

  private long[] signatures;
  private long[][] queries;
  private int next;
  private int maxDistance;

  @Setup(Level.Trial)
  public void setUp() {
    Random rng = new Random(17);
    SimHash hash = new SimHash(DIMENSION);
    float[] centre = random(rng);
    signatures = new long[SLOTS * SimHash.WORDS];
    for (int s = 0; s < SLOTS; s++) {
      hash.signature(member(centre, rng), signatures, s * SimHash.WORDS);
    }
    queries = new long[64][SimHash.WORDS];
    for (long[] q : queries) {
      hash.signature(member(centre, rng), q, 0);
    }
    maxDistance = SimHash.candidateDistance(0.01);
  }

  private static float[] random(Random rng) {
    float[] v = new float[DIMENSION];
    for (int i = 0; i < DIMENSION; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    Vectors.normalize(v);
    return v;
  }

  private float[] member(float[] centre, Random rng) {
    float[] r = random(rng);
    float[] y = new float[DIMENSION];
    double sin = Math.sqrt(1 - spread * spread);
    for (int i = 0; i < DIMENSION; i++) {
      y[i] = (float) (spread * centre[i] + sin * r[i]);
    }
    Vectors.normalize(y);
    return y;
  }

  /** Every distance in full, as {@code NearIndex} scans. */
  @Benchmark
  public int fullDistances() {
    long[] q = queries[next++ & 63];
    int within = 0;
    for (int s = 0; s < SLOTS; s++) {
      if (SimHash.distance(q, 0, signatures, s * SimHash.WORDS) <= maxDistance) {
        within++;
      }
    }
    return within;
  }

  /** The second half of a signature read only when the first is within the distance. */
  @Benchmark
  public int firstHalfFirst() {
    long[] q = queries[next++ & 63];
    int within = 0;
    for (int s = 0, o = 0; s < SLOTS; s++, o += SimHash.WORDS) {
      int d = Long.bitCount(q[0] ^ signatures[o]) + Long.bitCount(q[1] ^ signatures[o + 1]);
      if (d > maxDistance) {
        continue;
      }
      d += Long.bitCount(q[2] ^ signatures[o + 2]) + Long.bitCount(q[3] ^ signatures[o + 3]);
      if (d <= maxDistance) {
        within++;
      }
    }
    return within;
  }
}
