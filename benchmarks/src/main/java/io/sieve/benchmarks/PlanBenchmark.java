package io.sieve.benchmarks;

import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainerState;
import io.sieve.policy.ClusterBalancedPolicy;
import io.sieve.policy.Draw;
import io.sieve.policy.SelectionPolicy;
import io.sieve.policy.UniformPolicy;
import java.util.SortedMap;
import java.util.TreeMap;
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
 * The planning step: one batch of 512 slots chosen over 64 clusters of skewed sizes (10 to 10,000
 * examples), cursors advancing from call to call as they do for a live trainer.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
public class PlanBenchmark {

  static final int BATCH = 512;

  @Param({"uniform", "cluster-balanced"})
  String policyName;

  private SelectionPolicy policy;
  private TrainerState state;
  private SortedMap<Integer, Long> sizes;
  private long seed;

  @Setup(Level.Trial)
  public void setUp() {
    policy =
        policyName.equals(UniformPolicy.NAME) ? new UniformPolicy() : new ClusterBalancedPolicy();
    state =
        TrainerState.newBuilder()
            .setTrainerId("bench")
            .setSpec(TrainerSpec.newBuilder().setTrainerId("bench").setSeed(1).build())
            .build();
    sizes = new TreeMap<>();
    for (int c = 0; c < 64; c++) {
      sizes.put(c, Math.max(10L, 10_000L / (c + 1)));
    }
  }

  @Benchmark
  public Draw plan() {
    return policy.draw(state, sizes, BATCH, seed++);
  }
}
