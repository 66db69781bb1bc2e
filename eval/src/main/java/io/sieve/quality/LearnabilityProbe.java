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
    // the trainers' validation slice and their two references of it
    List<Dataset.Item> validation = d.test().subList(0, 1_000);
    float[][] vx = new float[validation.size()][];
    int[] vy = new int[validation.size()];
    for (int i = 0; i < vx.length; i++) {
      vx[i] = validation.get(i).features();
      vy[i] = validation.get(i).label();
    }
    ScenarioTrainer.Reference reference =
        ScenarioTrainer.Reference.train(
            d.classes(), d.dimension(), 0.05, vx, vy, BATCH, seed, false);
    ScenarioTrainer.Reference calibrated =
        ScenarioTrainer.Reference.train(
            d.classes(), d.dimension(), 0.05, vx, vy, BATCH, seed, true);
    System.out.printf("reference temperature %.3f%n", calibrated.temperature());
    Map<String, double[]> roundCalibrated = new TreeMap<>();
    List<ScenarioData.Example> stream = new ArrayList<>(noisy.stream());
    Collections.shuffle(stream, rng);
    SoftmaxRegression model = new SoftmaxRegression(d.classes(), d.dimension(), 0.05, seed);
    double[] classLoss = model.meanLossByLabel(vx, vy);
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
            before[i] - calibrated.loss(x[i], y[i]));
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
        classLoss = model.meanLossByLabel(vx, vy);
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

  private static void add(double[] acc, double v) {
    acc[0] += v;
    acc[1] += v * v;
    acc[2]++;
  }

  private static double mean(double[] acc) {
    return acc[0] / acc[2];
  }
}
