package io.sieve.quality;

import io.sieve.avro.BatchExample;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainingBatch;
import io.sieve.diversity.RandomProjection;
import io.sieve.diversity.SecondMoment;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One trainer of the quality benchmark: a {@link SoftmaxRegression} trained on each batch it
 * receives, answering with feedback that carries the batch's losses (per example, mean per cluster,
 * mean per group value), and evaluated on the held-out test set at fixed numbers of examples
 * consumed. It also keeps the Vendi score of everything it consumed, on a 32-dimensional random
 * projection.
 */
final class QualityTrainer {

  /** Accuracy after a number of examples consumed, overall and per group value. */
  record Point(long examples, double accuracy, Map<String, Double> groupAccuracy) {
    double worstGroup() {
      return groupAccuracy.values().stream().mapToDouble(Double::doubleValue).min().orElse(0);
    }
  }

  private final String trainerId;
  private final String policy;
  private final long seed;
  private final Dataset dataset;
  private final SoftmaxRegression model;
  private final RandomProjection projection;
  private final SecondMoment consumedMoment;
  private final long budget;
  private final long evalEvery;
  private final List<Point> curve = new ArrayList<>();
  private final Map<String, Long> groupsConsumed = new TreeMap<>();
  private long consumed;
  private long batches;
  private long nextEval;

  QualityTrainer(
      String trainerId,
      String policy,
      long seed,
      Dataset dataset,
      double learningRate,
      RandomProjection projection,
      long budget,
      long evalEvery) {
    this.trainerId = trainerId;
    this.policy = policy;
    this.seed = seed;
    this.dataset = dataset;
    this.model = new SoftmaxRegression(dataset.classes(), dataset.dimension(), learningRate, seed);
    this.projection = projection;
    this.consumedMoment = new SecondMoment(projection.outputDimension());
    this.budget = budget;
    this.evalEvery = evalEvery;
    evaluate();
    this.nextEval = evalEvery;
  }

  String trainerId() {
    return trainerId;
  }

  String policy() {
    return policy;
  }

  long seed() {
    return seed;
  }

  boolean done() {
    return consumed >= budget;
  }

  long consumed() {
    return consumed;
  }

  long batches() {
    return batches;
  }

  List<Point> curve() {
    return curve;
  }

  Map<String, Long> groupsConsumed() {
    return groupsConsumed;
  }

  double vendi() {
    return consumedMoment.vendi();
  }

  /** Trains on the batch and returns the feedback acknowledging it. */
  TrainerFeedback train(TrainingBatch batch) {
    List<BatchExample> examples = batch.getExamples();
    int n = examples.size();
    float[][] x = new float[n][];
    int[] y = new int[n];
    for (int k = 0; k < n; k++) {
      BatchExample e = examples.get(k);
      List<Float> emb = e.getEmbedding();
      float[] v = new float[emb.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = emb.get(i);
      }
      x[k] = v;
      y[k] = Integer.parseInt(e.getLabel());
      consumedMoment.add(projection.project(v));
      groupsConsumed.merge(group(e), 1L, Long::sum);
    }
    double[] losses = n == 0 ? new double[0] : model.train(x, y);
    Map<String, Double> exampleLosses = new HashMap<>();
    Map<String, double[]> byCluster = new TreeMap<>();
    Map<String, double[]> byGroup = new TreeMap<>();
    for (int k = 0; k < n; k++) {
      BatchExample e = examples.get(k);
      exampleLosses.put(e.getId(), losses[k]);
      accumulate(byCluster, Integer.toString(e.getClusterId()), losses[k]);
      accumulate(byGroup, dataset.groupAttribute() + "=" + group(e), losses[k]);
    }
    consumed += n;
    batches++;
    if (consumed >= nextEval || done()) {
      evaluate();
      while (nextEval <= consumed) {
        nextEval += evalEvery;
      }
    }
    return TrainerFeedback.newBuilder()
        .setTrainerId(trainerId)
        .setBatchId(batch.getBatchId())
        .setExampleLosses(exampleLosses)
        .setClusterLosses(means(byCluster))
        .setGroupLosses(means(byGroup))
        .setSentAt(Instant.ofEpochMilli(System.currentTimeMillis()))
        .build();
  }

  private String group(BatchExample e) {
    String g = e.getGroups().get(dataset.groupAttribute());
    return g == null ? "?" : g;
  }

  /** Accuracy on the test set, overall and per group value. */
  private void evaluate() {
    Map<String, long[]> byGroup = new TreeMap<>();
    long correct = 0;
    for (Dataset.Item item : dataset.test()) {
      boolean right = model.predict(item.features()) == item.label();
      long[] c = byGroup.computeIfAbsent(item.group(), k -> new long[2]);
      c[1]++;
      if (right) {
        c[0]++;
        correct++;
      }
    }
    Map<String, Double> groupAccuracy = new LinkedHashMap<>();
    byGroup.forEach(
        (g, c) -> groupAccuracy.put(dataset.groupAttribute() + "=" + g, c[0] / (double) c[1]));
    curve.add(new Point(consumed, correct / (double) dataset.test().size(), groupAccuracy));
  }

  private static void accumulate(Map<String, double[]> sums, String key, double loss) {
    double[] s = sums.computeIfAbsent(key, k -> new double[2]);
    s[0] += loss;
    s[1]++;
  }

  private static Map<String, Double> means(Map<String, double[]> sums) {
    Map<String, Double> out = new TreeMap<>();
    sums.forEach((k, s) -> out.put(k, s[0] / s[1]));
    return out;
  }
}
