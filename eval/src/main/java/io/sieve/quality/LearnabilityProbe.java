package io.sieve.quality;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * How well two kinds of learnability tell S2's noisy sources from the clean ones, without Sieve: an
 * online trainer (the scenario trainer's model and step size) reads a shuffle of the S2 stream in
 * batches of 64 and, for every example, reports the step's gain (loss before minus after the step)
 * and the reducible loss (loss before minus that of a reference model trained on a 1,000-example
 * validation slice, as {@link ScenarioTrainer} does by default). It prints each kind's mean and
 * standard deviation on the noisy sources' examples and on the others, and each source's round
 * means every 8 batches (the online trainer's evaluation period).
 *
 * <p>With {@code wordnet} as third argument it reads S0's clean WordNet stream instead and prints
 * the round means per part of speech: how far the values of a clean stream's attribute differ in
 * learnability, and for how long.
 *
 * <p>Usage: {@code java -cp cli/target/sieve-cli-*-all.jar io.sieve.quality.LearnabilityProbe
 * [seed] [batches] [fashion-mnist|wordnet]} (defaults 1, 80 and fashion-mnist), with the data where
 * the quality benchmark reads it.
 */
public final class LearnabilityProbe {

  private static final int BATCH = 64;
  private static final int ROUND = 8;

  /** The quality benchmark's default data seed (the split and the noisy sources). */
  private static final long DATA_SEED = 7;

  private LearnabilityProbe() {}

  public static void main(String[] args) {
    long seed = args.length > 0 ? Long.parseLong(args[0]) : 1;
    int batches = args.length > 1 ? Integer.parseInt(args[1]) : 80;
    boolean wordnet = args.length > 2 && "wordnet".equals(args[2]);
    Dataset d =
        wordnet
            ? WordNet.load(
                WordNet.DEFAULT_DIR,
                30_000,
                6_000,
                DATA_SEED,
                io.sieve.config.SieveConfig.EMBEDDING_DIMENSION_DEFAULT)
            : FashionMnist.load(FashionMnist.DEFAULT_DIR, 30_000, 6_000, DATA_SEED);
    String attribute = wordnet ? WordNet.GROUP_ATTRIBUTE : "source";
    Scenarios.Noisy noisy =
        wordnet
            ? new Scenarios.Noisy(Scenarios.plain(d.stream(), attribute), java.util.Set.of())
            : Scenarios.noisy(
                d.stream(),
                Scenarios.S2_CONFUSED_PAIRS,
                Scenarios.S2_SOURCE_SHARE,
                Scenarios.S2_CLEAN_SOURCES,
                DATA_SEED);
    ScenarioBenchmark.Features features = new ScenarioBenchmark.Features(d.dimension());
    Random rng = new Random(seed);
    List<Dataset.Item> validation = new ArrayList<>(d.test().subList(0, 1_000));
    SoftmaxRegression reference = reference(d, validation, seed, rng);
    // the reference's temperature, fitted on the half of the slice a reference of the other half
    // did not see
    SoftmaxRegression half = reference(d, validation.subList(0, 500), seed, rng);
    List<Dataset.Item> rest = validation.subList(500, validation.size());
    float[][] rx = new float[rest.size()][];
    int[] ry = new int[rest.size()];
    for (int i = 0; i < rx.length; i++) {
      rx[i] = rest.get(i).features();
      ry[i] = rest.get(i).label();
    }
    double temperature = half.calibrate(rx, ry);
    System.out.printf("reference temperature %.3f%n", temperature);
    Map<String, double[]> roundCalibrated = new TreeMap<>();
    List<ScenarioData.Example> stream = new ArrayList<>(noisy.stream());
    Collections.shuffle(stream, rng);
    SoftmaxRegression model = new SoftmaxRegression(d.classes(), d.dimension(), 0.05, seed);
    double[] classLoss = classLoss(model, validation, d.classes());
    Map<String, double[]> roundClass = new TreeMap<>();
    // [step gain noisy, step gain clean, reducible noisy, reducible clean] × [sum, sum², n]
    double[][] all = new double[4][3];
    Map<String, double[]> roundStep = new TreeMap<>();
    Map<String, double[]> roundReducible = new TreeMap<>();
    int next = 0;
    for (int b = 0; b < batches && next + BATCH <= stream.size(); b++) {
      float[][] x = new float[BATCH][];
      int[] y = new int[BATCH];
      String[] source = new String[BATCH];
      boolean[] bad = new boolean[BATCH];
      for (int i = 0; i < BATCH; i++) {
        ScenarioData.Example e = stream.get(next++);
        x[i] = features.of(e);
        y[i] = e.label();
        source[i] = e.groups().get(attribute);
        bad[i] = noisy.bad().contains(e.id());
      }
      double[] before = model.train(x, y);
      for (int i = 0; i < BATCH; i++) {
        double step = before[i] - model.loss(x[i], y[i]);
        double reducible = before[i] - reference.loss(x[i], y[i]);
        int kind = bad[i] ? 0 : 1;
        add(all[kind], step);
        add(all[kind + 2], reducible);
        add(roundStep.computeIfAbsent(source[i], k -> new double[3]), step);
        add(roundReducible.computeIfAbsent(source[i], k -> new double[3]), reducible);
        add(roundClass.computeIfAbsent(source[i], k -> new double[3]), classLoss[y[i]] - before[i]);
        add(
            roundCalibrated.computeIfAbsent(source[i], k -> new double[3]),
            before[i] - reference.loss(x[i], y[i], temperature));
      }
      if ((b + 1) % ROUND == 0) {
        StringBuilder line = new StringBuilder("round " + (b + 1) / ROUND + ":");
        for (String s : roundStep.keySet()) {
          line.append(
              String.format(
                  " %s step %.3f reducible %.3f calibrated %.3f class %.3f (n=%d)",
                  s,
                  mean(roundStep.get(s)),
                  mean(roundReducible.get(s)),
                  mean(roundCalibrated.get(s)),
                  mean(roundClass.get(s)),
                  (int) roundStep.get(s)[2]));
        }
        System.out.println(line);
        roundStep.clear();
        roundReducible.clear();
        roundClass.clear();
        roundCalibrated.clear();
        classLoss = classLoss(model, validation, d.classes());
      }
    }
    String[] names = {
      "step gain, noisy sources", "step gain, clean sources",
      "reducible loss, noisy sources", "reducible loss, clean sources"
    };
    for (int k = 0; k < 4; k++) {
      double m = mean(all[k]);
      System.out.printf(
          "%s: mean %.3f sd %.3f n %d%n",
          names[k], m, Math.sqrt(Math.max(0, all[k][1] / all[k][2] - m * m)), (int) all[k][2]);
    }
  }

  /** A reference model: {@link ScenarioTrainer#REFERENCE_PASSES} passes over {@code slice}. */
  private static SoftmaxRegression reference(
      Dataset d, List<Dataset.Item> slice, long seed, Random rng) {
    SoftmaxRegression reference = new SoftmaxRegression(d.classes(), d.dimension(), 0.05, seed);
    List<Dataset.Item> order = new ArrayList<>(slice);
    for (int pass = 0; pass < ScenarioTrainer.REFERENCE_PASSES; pass++) {
      Collections.shuffle(order, rng);
      for (int s = 0; s < order.size(); s += BATCH) {
        int m = Math.min(BATCH, order.size() - s);
        float[][] x = new float[m][];
        int[] y = new int[m];
        for (int i = 0; i < m; i++) {
          x[i] = order.get(s + i).features().clone();
          y[i] = order.get(s + i).label();
        }
        reference.train(x, y);
      }
    }
    return reference;
  }

  /** The model's mean loss on the validation examples of each label (ln C for a label absent). */
  private static double[] classLoss(
      SoftmaxRegression model, List<Dataset.Item> validation, int classes) {
    double[] sum = new double[classes];
    int[] n = new int[classes];
    for (Dataset.Item v : validation) {
      sum[v.label()] += model.loss(v.features(), v.label());
      n[v.label()]++;
    }
    double[] out = new double[classes];
    for (int c = 0; c < classes; c++) {
      out[c] = n[c] > 0 ? sum[c] / n[c] : Math.log(classes);
    }
    return out;
  }

  private static void add(double[] acc, double v) {
    acc[0] += v;
    acc[1] += v * v;
    acc[2]++;
  }

  private static double mean(double[] acc) {
    return acc[0] / acc[2];
  }
}
