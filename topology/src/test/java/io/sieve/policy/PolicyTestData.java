package io.sieve.policy;

import io.sieve.avro.EvaluationRound;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainerState;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** Builders shared by the policy unit tests. */
final class PolicyTestData {

  private PolicyTestData() {}

  static TrainerState state(String policy, Map<String, String> params) {
    return TrainerState.newBuilder()
        .setTrainerId("t")
        .setSpec(
            TrainerSpec.newBuilder()
                .setTrainerId("t")
                .setPolicy(policy)
                .setBatchSize(10)
                .setSeed(7)
                .setParams(params)
                .build())
        .build();
  }

  static TrainerFeedback clusterLosses(Map<Integer, Double> losses) {
    Map<String, Double> keyed = new TreeMap<>();
    losses.forEach((k, v) -> keyed.put(Integer.toString(k), v));
    return TrainerFeedback.newBuilder()
        .setTrainerId("t")
        .setBatchId("t-0")
        .setClusterLosses(keyed)
        .build();
  }

  /** {@code params} with a round of one batch, so that every feedback closes a round. */
  static Map<String, String> perBatch(Map<String, String> params) {
    Map<String, String> out = new TreeMap<>(params);
    out.put(Rewards.ROUND_BATCHES, "1");
    return out;
  }

  static TrainerFeedback clusterLearnability(Map<Integer, Double> learnability) {
    return TrainerFeedback.newBuilder(clusterLosses(Map.of()))
        .setClusterLearnability(keyed(learnability))
        .build();
  }

  /** Feedback closing evaluation round {@code round}: validation losses and counts per cluster. */
  static TrainerFeedback evaluation(
      long round, Map<Integer, Double> validation, Map<Integer, Long> trained) {
    Map<String, Long> counts = new TreeMap<>();
    trained.forEach((k, v) -> counts.put(Integer.toString(k), v));
    return TrainerFeedback.newBuilder(clusterLosses(Map.of()))
        .setEvaluation(
            EvaluationRound.newBuilder()
                .setRound(round)
                .setClusterLosses(keyed(validation))
                .setTrainedClusterCounts(counts)
                .build())
        .build();
  }

  static Map<String, Double> keyed(Map<Integer, Double> perCluster) {
    Map<String, Double> out = new TreeMap<>();
    perCluster.forEach((k, v) -> out.put(Integer.toString(k), v));
    return out;
  }

  static SortedMap<Integer, Long> sizes(long... perCluster) {
    SortedMap<Integer, Long> out = new TreeMap<>();
    for (int i = 0; i < perCluster.length; i++) {
      out.put(i, perCluster[i]);
    }
    return out;
  }

  /** Share of cluster {@code k} over {@code batches} draws of size {@code n}. */
  static double share(
      SelectionPolicy policy,
      TrainerState state,
      SortedMap<Integer, Long> sizes,
      int n,
      int batches,
      int k) {
    long mine = 0;
    for (int b = 0; b < batches; b++) {
      Draw d = policy.draw(state, PlanContext.ofSizes(sizes), n, Seeds.mix(99, b));
      mine += d.perCluster().getOrDefault(k, 0);
    }
    return mine / (double) (n * batches);
  }
}
