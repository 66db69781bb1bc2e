package io.sieve.quality;

import io.sieve.avro.BatchExample;
import io.sieve.avro.EvaluationRound;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainingBatch;
import io.sieve.policy.GroupValues;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A trainer of the scenario benchmark: a {@link SoftmaxRegression} fed either by Sieve's batches
 * (answering each with feedback v2) or by a local reader (the baselines without Sieve).
 *
 * <p>Two ways to train ({@link Kind}): {@code online}, one Adam step per batch, as the first
 * benchmark did; and data-limited, which collects what it is given into rounds and at the end of
 * each round makes several passes, either over everything selected so far ({@code cumulative}) or
 * over the round's own examples (RS2's {@code rounds}). A softmax regression trained once per batch
 * runs out of steps before it runs out of data; trained over several passes it is limited by which
 * examples it saw, so the choice of examples can show.
 *
 * <p>Feedback carries what QUALITY.md allows and never a test-set figure: the training losses of
 * the batch before the step (per example, cluster and group value), learnability (loss before minus
 * loss after training on it, per example, cluster and group value), and every few batches an
 * evaluation round on the trainer's own validation slice: mean validation loss per group value and
 * per cluster (a validation example belongs to the nearest centre among the running means of the
 * clusters it has been sent), and the examples trained on per group value and cluster since the
 * previous round. The test set is evaluated locally only.
 */
final class ScenarioTrainer {

  /** How the trainer turns examples into steps. */
  enum Kind {
    ONLINE,
    CUMULATIVE,
    ROUNDS;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Test metrics after a number of examples consumed. */
  record Point(
      long examples,
      double accuracy,
      double balancedAccuracy,
      double newClassAccuracy,
      double[] classAccuracy,
      Map<String, Double> groupAccuracy) {
    double worstGroup() {
      return groupAccuracy.values().stream().mapToDouble(Double::doubleValue).min().orElse(0);
    }
  }

  /** A labelled set with unit-norm features and group values (the validation or test set). */
  record Labelled(float[][] x, int[] y, String[] group) {}

  /** What every trainer of a run shares. */
  record Setup(
      int classes,
      int dimension,
      String streamAttribute,
      String testAttribute,
      Labelled validation,
      Labelled test,
      Set<String> bad,
      int newClass,
      double learningRate,
      long budget,
      long testEvery,
      int evalBatches,
      int roundSize,
      int passes,
      int batchSize,
      String learnability) {

    /** The kinds of learnability a trainer reports ({@link ScenarioTrainer#learnability}). */
    static final List<String> LEARNABILITY =
        List.of("reference", "reference-uncalibrated", "step", "class");

    Setup {
      if (!LEARNABILITY.contains(learnability)) {
        throw new IllegalArgumentException(
            "learnability must be one of " + LEARNABILITY + ": '" + learnability + "'");
      }
    }
  }

  /** Passes over the validation slice that train the reference model of learnability. */
  static final int REFERENCE_PASSES = 30;

  private final String trainerId;
  private final String policy;
  private final Kind kind;
  private final long seed;
  private final Setup setup;
  private final SoftmaxRegression model;
  private final Reference reference;
  // class learnability: the model's mean validation loss per label, refreshed at each round
  private double[] classLoss;
  private final SplittableRandom rng;
  private final List<Point> curve = new ArrayList<>();
  // data-limited kinds: what the passes run over
  private final List<float[]> keptX = new ArrayList<>();
  private final List<Integer> keptY = new ArrayList<>();
  private final List<String> roundIds = new ArrayList<>();
  private final List<Integer> roundClusters = new ArrayList<>();
  private final List<Map<String, String>> roundGroups = new ArrayList<>();
  private int roundStart;
  // running mean embedding per cluster id, to place the validation examples
  private final Map<Integer, double[]> centreSums = new TreeMap<>();
  private final Map<Integer, Long> centreCounts = new TreeMap<>();
  private final Map<String, Long> groupsSinceRound = new TreeMap<>();
  private final Map<String, Long> clustersSinceRound = new TreeMap<>();
  private final Map<String, Long> groupsConsumed = new TreeMap<>();
  private long consumed;
  private long badConsumed;
  private long[] classesConsumed;
  private long batches;
  private long nextTest;
  private long evaluationRounds;
  private long arrivalConsumed = -1;

  ScenarioTrainer(String trainerId, String policy, Kind kind, long seed, Setup setup) {
    this.trainerId = trainerId;
    this.policy = policy;
    this.kind = kind;
    this.seed = seed;
    this.setup = setup;
    this.classesConsumed = new long[setup.classes()];
    this.model =
        new SoftmaxRegression(setup.classes(), setup.dimension(), setup.learningRate(), seed);
    this.rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
    this.reference =
        setup.learnability().startsWith("reference")
            ? Reference.train(
                setup.classes(),
                setup.dimension(),
                setup.learningRate(),
                setup.validation().x(),
                setup.validation().y(),
                setup.batchSize(),
                seed,
                "reference".equals(setup.learnability()))
            : null;
    this.classLoss = "class".equals(setup.learnability()) ? classLoss() : null;
    test();
    this.nextTest = setup.testEvery();
  }

  String trainerId() {
    return trainerId;
  }

  String policy() {
    return policy;
  }

  Kind kind() {
    return kind;
  }

  long seed() {
    return seed;
  }

  boolean done() {
    return consumed >= setup.budget();
  }

  long consumed() {
    return consumed;
  }

  long batches() {
    return batches;
  }

  long badConsumed() {
    return badConsumed;
  }

  List<Point> curve() {
    return curve;
  }

  Map<String, Long> groupsConsumed() {
    return groupsConsumed;
  }

  /** Examples trained on per label, 0..classes−1. */
  long[] classesConsumed() {
    return classesConsumed.clone();
  }

  long evaluationRounds() {
    return evaluationRounds;
  }

  /** Examples consumed when the second phase of the stream became available (S6), or −1. */
  long arrivalConsumed() {
    return arrivalConsumed;
  }

  void markArrival() {
    if (arrivalConsumed < 0) {
      arrivalConsumed = consumed;
    }
  }

  /** Trains on a batch from Sieve and returns the feedback acknowledging it. */
  TrainerFeedback train(TrainingBatch batch) {
    List<BatchExample> examples = batch.getExamples();
    int n = examples.size();
    float[][] x = new float[n][];
    int[] y = new int[n];
    String[] ids = new String[n];
    int[] clusters = new int[n];
    List<Map<String, String>> groups = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      BatchExample e = examples.get(k);
      List<Float> emb = e.getEmbedding();
      float[] v = new float[emb.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = emb.get(i);
      }
      x[k] = v;
      y[k] = Integer.parseInt(e.getLabel());
      ids[k] = e.getId();
      clusters[k] = e.getClusterId();
      groups.add(e.getGroups());
    }
    TrainerFeedback.Builder fb = step(ids, x, y, clusters, groups);
    return fb.setTrainerId(trainerId)
        .setBatchId(batch.getBatchId())
        .setSentAt(Instant.ofEpochMilli(System.currentTimeMillis()))
        .build();
  }

  /**
   * The reference model of learnability (RHO-LOSS's irreducible-loss model, Mindermann et al., ICML
   * 2022): the same model trained on the trainer's own validation slice only, several passes in a
   * seeded order, and the temperature its logits are divided by. An example's loss under it is what
   * no amount of this stream's data is expected to remove: high for a wrong label, low for what the
   * task makes easy. Trained to convergence on a small slice it is overconfident, and its loss then
   * follows its own mistakes more than the task's noise (on S0's WordNet stream, 30 passes over
   * 1,000 examples put verbs at −0.9 to −2.3 nats of reducible loss in every round, as low as S2's
   * mislabelled sources: {@link LearnabilityProbe}); so the temperature is fitted (temperature
   * scaling) on the second half of the slice for a reference of the first half ({@code reference};
   * {@code reference-uncalibrated} leaves it at 1).
   */
  record Reference(SoftmaxRegression model, double temperature) {

    double loss(float[] x, int y) {
      return model.loss(x, y, temperature);
    }

    /** The reference of {@code x, y}, calibrated or not. */
    static Reference train(
        int classes,
        int dimension,
        double learningRate,
        float[][] x,
        int[] y,
        int batch,
        long seed,
        boolean calibrated) {
      int n = y.length;
      double temperature = 1;
      if (calibrated && n >= 4) {
        // cross-fitting: a reference of the first half, its temperature fitted on the second
        // half, is as overconfident as the reference of the whole slice; only ever softened: on
        // a slice it classifies without error the fit would sharpen it without bound, and one
        // example across the boundary would then cost it tens of nats
        int half = n / 2;
        SoftmaxRegression first =
            passesOver(classes, dimension, learningRate, x, y, 0, half, batch, seed);
        temperature =
            Math.max(
                1,
                first.calibrate(
                    java.util.Arrays.copyOfRange(x, half, n),
                    java.util.Arrays.copyOfRange(y, half, n)));
      }
      return new Reference(
          passesOver(classes, dimension, learningRate, x, y, 0, n, batch, seed), temperature);
    }

    /** {@link #REFERENCE_PASSES} passes over examples {@code from..to−1}. */
    private static SoftmaxRegression passesOver(
        int classes,
        int dimension,
        double learningRate,
        float[][] x,
        int[] y,
        int from,
        int to,
        int batch,
        long seed) {
      SoftmaxRegression m =
          new SoftmaxRegression(classes, dimension, learningRate, seed ^ 0x7265664cL);
      int[] order = new int[to - from];
      for (int i = 0; i < order.length; i++) {
        order[i] = from + i;
      }
      passes(
          m,
          i -> x[i],
          i -> y[i],
          order,
          REFERENCE_PASSES,
          batch,
          new SplittableRandom(seed ^ 0x72656650L));
      return m;
    }
  }

  /**
   * {@code passes} passes of mini-batch steps of {@code m} over the examples {@code order} names,
   * reshuffled by {@code rng} before each pass.
   */
  private static void passes(
      SoftmaxRegression m,
      java.util.function.IntFunction<float[]> x,
      java.util.function.IntUnaryOperator y,
      int[] order,
      int passes,
      int batch,
      SplittableRandom rng) {
    int size = order.length;
    for (int pass = 0; pass < passes; pass++) {
      for (int i = size - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      for (int s = 0; s < size; s += batch) {
        int n = Math.min(batch, size - s);
        float[][] bx = new float[n][];
        int[] by = new int[n];
        for (int i = 0; i < n; i++) {
          bx[i] = x.apply(order[s + i]);
          by[i] = y.applyAsInt(order[s + i]);
        }
        m.train(bx, by);
      }
    }
  }

  /**
   * An example's learnability, given its loss before the trainer trained on it: minus its loss
   * after (the step's gain), or, with a reference model, minus the reference's loss (the reducible
   * loss: what the model could still learn of it; a mislabelled example's is negative), or ({@code
   * class}) the model's mean validation loss on the example's label minus the example's loss: an
   * example that costs the model far more than its label's validation examples do is likely
   * mislabelled (the small-loss criterion of learning with noisy labels), while a group of clean
   * examples averages near 0 however hard its labels are.
   */
  private double learnability(double before, float[] x, int y) {
    if (classLoss != null) {
      return classLoss[y] - before;
    }
    return before - (reference != null ? reference.loss(x, y) : model.loss(x, y));
  }

  /** The model's mean loss on its validation examples of each label. */
  private double[] classLoss() {
    return model.meanLossByLabel(setup.validation().x(), setup.validation().y());
  }

  /** Trains on examples read without Sieve (a baseline); no feedback goes anywhere. */
  void trainLocal(String[] ids, float[][] x, int[] y, List<Map<String, String>> groups) {
    int[] clusters = new int[ids.length];
    java.util.Arrays.fill(clusters, -1);
    step(ids, x, y, clusters, groups);
  }

  private TrainerFeedback.Builder step(
      String[] ids, float[][] x, int[] y, int[] clusters, List<Map<String, String>> groups) {
    int n = ids.length;
    for (int k = 0; k < n; k++) {
      if (setup.bad().contains(ids[k])) {
        badConsumed++;
      }
      if (y[k] >= 0 && y[k] < classesConsumed.length) {
        classesConsumed[y[k]]++;
      }
      for (Map.Entry<String, String> g : groups.get(k).entrySet()) {
        String key = g.getKey() + "=" + g.getValue();
        groupsSinceRound.merge(key, 1L, Long::sum);
        if (g.getKey().equals(setup.streamAttribute())) {
          groupsConsumed.merge(g.getValue(), 1L, Long::sum);
        }
      }
      if (clusters[k] >= 0) {
        clustersSinceRound.merge(Integer.toString(clusters[k]), 1L, Long::sum);
        double[] s = centreSums.computeIfAbsent(clusters[k], c -> new double[setup.dimension()]);
        for (int i = 0; i < s.length; i++) {
          s[i] += x[k][i];
        }
        centreCounts.merge(clusters[k], 1L, Long::sum);
      }
    }
    Map<String, Double> learnability = new HashMap<>();
    Map<String, double[]> clusterLearn = new TreeMap<>();
    Map<String, double[]> groupLearn = new TreeMap<>();
    double[] before;
    if (kind == Kind.ONLINE) {
      before = n == 0 ? new double[0] : model.train(x, y);
      for (int k = 0; k < n; k++) {
        double gain = learnability(before[k], x[k], y[k]);
        learnability.put(ids[k], gain);
        accumulate(clusterLearn, Integer.toString(clusters[k]), gain);
        accumulateGroups(groupLearn, groups.get(k), y[k], gain);
      }
    } else {
      before = new double[n];
      for (int k = 0; k < n; k++) {
        before[k] = model.loss(x[k], y[k]);
        keptX.add(x[k]);
        keptY.add(y[k]);
        roundIds.add(ids[k]);
        roundClusters.add(clusters[k]);
        roundGroups.add(groups.get(k));
      }
    }
    consumed += n;
    batches++;
    boolean roundEnds;
    if (kind == Kind.ONLINE) {
      roundEnds = batches % setup.evalBatches() == 0 || done();
    } else {
      roundEnds = keptX.size() - roundStart >= setup.roundSize() || done();
      if (roundEnds) {
        trainRound(learnability, clusterLearn, groupLearn);
      }
    }
    Map<String, Double> exampleLosses = new HashMap<>();
    Map<String, double[]> byCluster = new TreeMap<>();
    Map<String, double[]> byGroup = new TreeMap<>();
    for (int k = 0; k < n; k++) {
      exampleLosses.put(ids[k], before[k]);
      accumulate(byCluster, Integer.toString(clusters[k]), before[k]);
      for (Map.Entry<String, String> g : groups.get(k).entrySet()) {
        accumulate(byGroup, g.getKey() + "=" + g.getValue(), before[k]);
      }
    }
    TrainerFeedback.Builder fb =
        TrainerFeedback.newBuilder()
            .setExampleLosses(exampleLosses)
            .setClusterLosses(means(byCluster))
            .setGroupLosses(means(byGroup))
            .setExampleLearnability(learnability)
            .setClusterLearnability(means(clusterLearn))
            .setGroupLearnability(means(groupLearn));
    if (roundEnds) {
      fb.setEvaluation(evaluationRound());
      if (classLoss != null && kind == Kind.ONLINE) {
        classLoss = classLoss();
      }
    }
    if (consumed >= nextTest || done()) {
      test();
      while (nextTest <= consumed) {
        nextTest += setup.testEvery();
      }
    }
    return fb;
  }

  /**
   * Several passes of mini-batch steps over everything kept (cumulative) or over this round's
   * examples (rounds), in a fresh seeded order each pass; the round's examples' learnability is
   * their loss before the round minus their loss after it.
   */
  private void trainRound(
      Map<String, Double> learnability,
      Map<String, double[]> clusterLearn,
      Map<String, double[]> groupLearn) {
    int from = kind == Kind.ROUNDS ? roundStart : 0;
    int size = keptX.size() - from;
    double[] before = new double[keptX.size() - roundStart];
    for (int k = roundStart; k < keptX.size(); k++) {
      before[k - roundStart] = model.loss(keptX.get(k), keptY.get(k));
    }
    if (classLoss != null) {
      classLoss = classLoss(); // the model as the round's losses before were taken
    }
    int[] order = new int[size];
    for (int i = 0; i < size; i++) {
      order[i] = from + i;
    }
    passes(model, keptX::get, keptY::get, order, setup.passes(), setup.batchSize(), rng);
    for (int k = roundStart; k < keptX.size(); k++) {
      double gain = learnability(before[k - roundStart], keptX.get(k), keptY.get(k));
      learnability.put(roundIds.get(k - roundStart), gain);
      accumulate(clusterLearn, Integer.toString(roundClusters.get(k - roundStart)), gain);
      accumulateGroups(groupLearn, roundGroups.get(k - roundStart), keptY.get(k), gain);
    }
    roundIds.clear();
    roundClusters.clear();
    roundGroups.clear();
    if (kind == Kind.ROUNDS) {
      // RS2 keeps nothing between rounds: the next round is a fresh subset
      keptX.clear();
      keptY.clear();
      roundStart = 0;
    } else {
      roundStart = keptX.size();
    }
  }

  /** Validation losses per group value and per cluster, and the counts since the last round. */
  private EvaluationRound evaluationRound() {
    Labelled v = setup.validation();
    Map<String, double[]> byGroup = new TreeMap<>();
    Map<String, double[]> byCluster = new TreeMap<>();
    double total = 0;
    int[] ids = new int[centreSums.size()];
    float[][] centres = new float[centreSums.size()][];
    int c = 0;
    for (Map.Entry<Integer, double[]> e : centreSums.entrySet()) {
      ids[c] = e.getKey();
      double count = centreCounts.get(e.getKey());
      float[] m = new float[e.getValue().length];
      for (int i = 0; i < m.length; i++) {
        m[i] = (float) (e.getValue()[i] / count);
      }
      centres[c++] = m;
    }
    for (int k = 0; k < v.y().length; k++) {
      double loss = model.loss(v.x()[k], v.y()[k]);
      total += loss;
      accumulate(byGroup, setup.testAttribute() + "=" + v.group()[k], loss);
      if (centres.length > 0) {
        accumulate(byCluster, Integer.toString(ids[nearest(centres, v.x()[k])]), loss);
      }
    }
    EvaluationRound round =
        EvaluationRound.newBuilder()
            .setRound(evaluationRounds++)
            .setValidationLoss(v.y().length == 0 ? null : total / v.y().length)
            .setGroupLosses(means(byGroup))
            .setClusterLosses(means(byCluster))
            .setTrainedGroupCounts(new TreeMap<>(groupsSinceRound))
            .setTrainedClusterCounts(new TreeMap<>(clustersSinceRound))
            .build();
    groupsSinceRound.clear();
    clustersSinceRound.clear();
    return round;
  }

  private static int nearest(float[][] centres, float[] x) {
    int best = 0;
    double bestD = Double.MAX_VALUE;
    for (int c = 0; c < centres.length; c++) {
      double d = 0;
      for (int i = 0; i < x.length; i++) {
        double t = centres[c][i] - x[i];
        d += t * t;
      }
      if (d < bestD) {
        bestD = d;
        best = c;
      }
    }
    return best;
  }

  /** Test accuracy: overall, balanced, on the new class, and per group value. */
  private void test() {
    Labelled t = setup.test();
    int classes = setup.classes();
    long[] right = new long[classes];
    long[] seen = new long[classes];
    Map<String, long[]> byGroup = new TreeMap<>();
    long correct = 0;
    for (int k = 0; k < t.y().length; k++) {
      boolean ok = model.predict(t.x()[k]) == t.y()[k];
      seen[t.y()[k]]++;
      long[] g = byGroup.computeIfAbsent(t.group()[k], x -> new long[2]);
      g[1]++;
      if (ok) {
        right[t.y()[k]]++;
        g[0]++;
        correct++;
      }
    }
    double balanced = 0;
    int present = 0;
    double[] recall = new double[classes];
    for (int c = 0; c < classes; c++) {
      if (seen[c] > 0) {
        recall[c] = right[c] / (double) seen[c];
        balanced += recall[c];
        present++;
      }
    }
    int nc = setup.newClass();
    double newAcc = nc >= 0 && seen[nc] > 0 ? right[nc] / (double) seen[nc] : Double.NaN;
    Map<String, Double> groupAccuracy = new LinkedHashMap<>();
    byGroup.forEach((g, c) -> groupAccuracy.put(g, c[0] / (double) c[1]));
    curve.add(
        new Point(
            consumed,
            correct / (double) Math.max(1, t.y().length),
            balanced / Math.max(1, present),
            newAcc,
            recall,
            groupAccuracy));
  }

  private static void accumulate(Map<String, double[]> sums, String key, double v) {
    double[] s = sums.computeIfAbsent(key, k -> new double[2]);
    s[0] += v;
    s[1]++;
  }

  /**
   * {@code v} into the sums of each of the example's group values, keyed attribute=value, and of
   * its label, keyed {@code @label=<label>} (the attribute under which Sieve counts labels).
   */
  private static void accumulateGroups(
      Map<String, double[]> sums, Map<String, String> groups, int label, double v) {
    for (Map.Entry<String, String> g : groups.entrySet()) {
      accumulate(sums, g.getKey() + "=" + g.getValue(), v);
    }
    accumulate(sums, GroupValues.LABEL + "=" + label, v);
  }

  private static Map<String, Double> means(Map<String, double[]> sums) {
    Map<String, Double> out = new TreeMap<>();
    sums.forEach((k, s) -> out.put(k, s[0] / s[1]));
    return out;
  }
}
