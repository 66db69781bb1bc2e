package io.sieve.quality;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns the trainers' curves into the report's numbers: per run and per policy (mean ± sample
 * standard deviation over seeds) the final accuracy, the worst group's accuracy at the same point,
 * the examples needed to reach {@code targetFraction} × uniform's mean final accuracy, and the
 * Vendi score of the examples consumed.
 */
final class Summary {

  private Summary() {}

  /** Everything about one data set's trainers, as JSON-ready maps. */
  static Map<String, Object> of(
      List<QualityTrainer> trainers, List<String> policies, double targetFraction) {
    double uniformFinal =
        mean(
            trainers.stream()
                .filter(t -> "uniform".equals(t.policy()))
                .mapToDouble(t -> last(t).accuracy())
                .toArray());
    double target = Double.isNaN(uniformFinal) ? Double.NaN : targetFraction * uniformFinal;
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("uniformFinalAccuracy", uniformFinal);
    out.put("targetAccuracy", target);
    Map<String, Object> byPolicy = new LinkedHashMap<>();
    List<Map<String, Object>> runs = new ArrayList<>();
    for (String policy : policies) {
      List<QualityTrainer> ts = trainers.stream().filter(t -> t.policy().equals(policy)).toList();
      double[] finals = ts.stream().mapToDouble(t -> last(t).accuracy()).toArray();
      double[] worst = ts.stream().mapToDouble(t -> last(t).worstGroup()).toArray();
      double[] vendi = ts.stream().mapToDouble(QualityTrainer::vendi).toArray();
      List<Double> reached = new ArrayList<>();
      Map<String, Long> groups = new TreeMap<>();
      for (QualityTrainer t : ts) {
        long tta = examplesToReach(t, target);
        if (tta >= 0) {
          reached.add((double) tta);
        }
        t.groupsConsumed().forEach((g, n) -> groups.merge(g, n, Long::sum));
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("trainer", t.trainerId());
        run.put("policy", policy);
        run.put("seed", t.seed());
        run.put("examplesConsumed", t.consumed());
        run.put("batches", t.batches());
        run.put("finalAccuracy", last(t).accuracy());
        run.put("finalGroupAccuracy", last(t).groupAccuracy());
        run.put("worstGroupAccuracy", last(t).worstGroup());
        run.put("examplesToTarget", tta < 0 ? null : tta);
        run.put("vendi", t.vendi());
        run.put("groupsConsumed", t.groupsConsumed());
        run.put("curve", t.curve());
        runs.add(run);
      }
      long total = groups.values().stream().mapToLong(Long::longValue).sum();
      Map<String, Double> shares = new TreeMap<>();
      groups.forEach((g, n) -> shares.put(g, n / (double) Math.max(total, 1)));
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("runs", ts.size());
      p.put("finalAccuracyMean", mean(finals));
      p.put("finalAccuracyStd", std(finals));
      p.put("worstGroupAccuracyMean", mean(worst));
      p.put("worstGroupAccuracyStd", std(worst));
      double[] r = reached.stream().mapToDouble(Double::doubleValue).toArray();
      p.put("examplesToTargetMean", r.length == 0 ? null : mean(r));
      p.put("examplesToTargetStd", r.length == 0 ? null : std(r));
      p.put("runsReachingTarget", r.length);
      p.put("vendiMean", mean(vendi));
      p.put("vendiStd", std(vendi));
      p.put("groupShareConsumed", shares);
      byPolicy.put(policy, p);
    }
    out.put("policies", byPolicy);
    out.put("runs", runs);
    return out;
  }

  /** Mean and std across seeds of each policy's accuracy at each evaluation point. */
  static Map<String, Plots.Curve> curves(List<QualityTrainer> trainers, List<String> policies) {
    Map<String, Plots.Curve> out = new LinkedHashMap<>();
    for (String policy : policies) {
      List<QualityTrainer> ts = trainers.stream().filter(t -> t.policy().equals(policy)).toList();
      if (ts.isEmpty()) {
        continue;
      }
      int n = ts.stream().mapToInt(t -> t.curve().size()).min().orElse(0);
      double[] x = new double[n];
      double[] mean = new double[n];
      double[] std = new double[n];
      for (int k = 0; k < n; k++) {
        final int i = k;
        x[k] = ts.stream().mapToDouble(t -> t.curve().get(i).examples()).average().orElse(0);
        double[] acc = ts.stream().mapToDouble(t -> t.curve().get(i).accuracy()).toArray();
        mean[k] = mean(acc);
        std[k] = std(acc);
      }
      out.put(policy, new Plots.Curve(x, mean, std));
    }
    return out;
  }

  /** The markdown table of one data set. */
  @SuppressWarnings("unchecked")
  static String markdown(String dataset, Map<String, Object> r, QualityBenchmark.Settings s) {
    StringBuilder md = new StringBuilder();
    md.append(
        String.format(
            "### %s%n%n%,d examples pooled (of %,d streamed), %,d held out, %s classes, group"
                + " attribute `%s`; budget %,d examples per trainer in batches of %d, %d seeds."
                + " Target: %.0f%% of uniform's final accuracy = %.3f.%n%n",
            dataset,
            ((Number) r.get("pooled")).longValue(),
            ((Number) r.get("streamed")).longValue(),
            ((Number) r.get("heldOut")).longValue(),
            r.get("classes"),
            r.get("groupAttribute"),
            s.budget(),
            s.batchSize(),
            s.seeds(),
            s.targetFraction() * 100,
            (Double) r.get("targetAccuracy")));
    md.append(
        "| policy | final accuracy | Δ vs uniform | worst-group accuracy | examples to target |"
            + " Vendi of consumed |\n");
    md.append("|---|---|---|---|---|---|\n");
    double uniform = (Double) r.get("uniformFinalAccuracy");
    Map<String, Map<String, Object>> policies =
        (Map<String, Map<String, Object>>) r.get("policies");
    for (Map.Entry<String, Map<String, Object>> e : policies.entrySet()) {
      Map<String, Object> p = e.getValue();
      int runs = (Integer) p.get("runs");
      if (runs == 0) {
        continue;
      }
      int reached = (Integer) p.get("runsReachingTarget");
      String tta =
          reached == 0
              ? "not reached (0/" + runs + ")"
              : String.format(
                      "%,.0f ± %,.0f",
                      (Double) p.get("examplesToTargetMean"),
                      nan0((Double) p.get("examplesToTargetStd")))
                  + (reached < runs ? " (" + reached + "/" + runs + ")" : "");
      md.append(
          String.format(
              "| %s | %.3f ± %.3f | %+.3f | %.3f ± %.3f | %s | %.2f ± %.2f |%n",
              e.getKey(),
              (Double) p.get("finalAccuracyMean"),
              nan0((Double) p.get("finalAccuracyStd")),
              (Double) p.get("finalAccuracyMean") - uniform,
              (Double) p.get("worstGroupAccuracyMean"),
              nan0((Double) p.get("worstGroupAccuracyStd")),
              tta,
              (Double) p.get("vendiMean"),
              nan0((Double) p.get("vendiStd"))));
    }
    return md.toString();
  }

  static long examplesToReach(QualityTrainer t, double target) {
    if (Double.isNaN(target)) {
      return -1;
    }
    for (QualityTrainer.Point p : t.curve()) {
      if (p.accuracy() >= target) {
        return p.examples();
      }
    }
    return -1;
  }

  private static QualityTrainer.Point last(QualityTrainer t) {
    return t.curve().get(t.curve().size() - 1);
  }

  static double mean(double[] v) {
    if (v.length == 0) {
      return Double.NaN;
    }
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s / v.length;
  }

  /** Sample standard deviation (n − 1); 0 for a single value. */
  static double std(double[] v) {
    if (v.length < 2) {
      return 0;
    }
    double m = mean(v);
    double s = 0;
    for (double x : v) {
      s += (x - m) * (x - m);
    }
    return Math.sqrt(s / (v.length - 1));
  }

  private static double nan0(Double v) {
    return v == null || v.isNaN() ? 0 : v;
  }
}
