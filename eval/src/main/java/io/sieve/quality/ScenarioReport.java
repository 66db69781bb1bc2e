package io.sieve.quality;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The scenario benchmark's numbers: per trainer kind and policy, the primary metric at budget, its
 * mean paired difference against the scenario's baseline with a 95 % t-interval, accuracy at budget
 * (and its paired difference where accuracy is not the primary metric), examples to reach {@code
 * target} × the baseline's final primary metric (for S6: of its overall accuracy, counted after the
 * new class's arrival), the share of bad data consumed (S2) and the natural-mix accuracy (S5).
 */
final class ScenarioReport {

  private ScenarioReport() {}

  /** The scenario's primary metric at a point. */
  static double primary(Scenario s, ScenarioTrainer.Point p) {
    return switch (s.primary) {
      case ACCURACY -> p.accuracy();
      case WORST_GROUP -> p.worstGroup();
      case BALANCED_ACCURACY -> p.balancedAccuracy();
      case NEW_PART -> p.newClassAccuracy();
    };
  }

  static ScenarioTrainer.Point last(ScenarioTrainer t) {
    return t.curve().get(t.curve().size() - 1);
  }

  /**
   * Examples (after the arrival, for S6) at which the primary metric first reaches {@code target},
   * or −1.
   */
  static long examplesToTarget(Scenario s, ScenarioTrainer t, double target) {
    if (Double.isNaN(target)) {
      return -1;
    }
    long origin = s == Scenario.S6 ? t.arrivalConsumed() : 0;
    if (origin < 0) {
      return -1;
    }
    for (ScenarioTrainer.Point p : t.curve()) {
      if (p.examples() >= origin && primary(s, p) >= target) {
        return p.examples() - origin;
      }
    }
    return -1;
  }

  /** Natural-mix accuracy: per-class recall weighted by the stream's class shares. */
  static double naturalMix(ScenarioTrainer.Point p, double[] prior) {
    double a = 0;
    for (int c = 0; c < prior.length; c++) {
      a += prior[c] * p.classAccuracy()[c];
    }
    return a;
  }

  /** Values per seed index 0..seeds−1 (NaN where a seed has no trainer). */
  private static double[] bySeed(
      List<ScenarioTrainer> ts, int seeds, java.util.function.ToDoubleFunction<ScenarioTrainer> f) {
    double[] v = new double[seeds];
    java.util.Arrays.fill(v, Double.NaN);
    for (ScenarioTrainer t : ts) {
      int i = (int) (t.seed() - 1000L);
      if (i >= 0 && i < seeds) {
        v[i] = f.applyAsDouble(t);
      }
    }
    return v;
  }

  static Map<String, Object> summarise(
      ScenarioData d,
      List<ScenarioTrainer> trainers,
      List<String> policies,
      ScenarioBenchmark.Settings settings) {
    Scenario s = d.scenario();
    int seeds = settings.seeds();
    double[] prior = new double[d.classes()];
    d.stream().forEach(e -> prior[e.label()] += 1.0 / d.stream().size());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("scenario", s.name());
    out.put("name", s.label);
    out.put("description", s.description);
    out.put("primaryMetric", s.primary.description);
    out.put("baseline", s.baseline);
    out.put("source", d.source());
    out.put("streamed", d.stream().size());
    out.put("streamAttribute", d.groupAttribute());
    out.put("testAttribute", d.testAttribute());
    out.put("notes", d.notes());
    Map<String, Object> kinds = new LinkedHashMap<>();
    List<Map<String, Object>> runs = new ArrayList<>();
    for (String kindName : settings.trainers()) {
      ScenarioTrainer.Kind kind = ScenarioBenchmark.kind(kindName, s);
      List<ScenarioTrainer> ofKind = trainers.stream().filter(t -> t.kind() == kind).toList();
      List<ScenarioTrainer> base =
          ofKind.stream().filter(t -> t.policy().equals(s.baseline)).toList();
      double[] basePrimary = bySeed(base, seeds, t -> primary(s, last(t)));
      double[] baseAccuracy = bySeed(base, seeds, t -> last(t).accuracy());
      // S6: the new part counts as learnt when it reaches the fraction of the baseline's overall
      // accuracy (a baseline that never learns it would otherwise set a target of 0)
      double target =
          settings.targetFraction()
              * PairedStats.mean(finite(s == Scenario.S6 ? baseAccuracy : basePrimary));
      Map<String, Object> byPolicy = new LinkedHashMap<>();
      for (String policy : policies) {
        List<ScenarioTrainer> ts = ofKind.stream().filter(t -> t.policy().equals(policy)).toList();
        if (ts.isEmpty()) {
          continue;
        }
        double[] prim = bySeed(ts, seeds, t -> primary(s, last(t)));
        double[] acc = bySeed(ts, seeds, t -> last(t).accuracy());
        double[] tta =
            bySeed(
                ts,
                seeds,
                t -> {
                  long e = examplesToTarget(s, t, target);
                  return e < 0 ? Double.NaN : e;
                });
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("runs", ts.size());
        p.put("primaryMean", PairedStats.mean(finite(prim)));
        p.put("primaryStd", PairedStats.std(finite(prim)));
        PairedStats.Delta dp = PairedStats.delta(prim, basePrimary);
        p.put("primaryDelta", delta(dp));
        p.put("accuracyMean", PairedStats.mean(finite(acc)));
        p.put("accuracyStd", PairedStats.std(finite(acc)));
        p.put("accuracyDelta", delta(PairedStats.delta(acc, baseAccuracy)));
        double[] reached = finite(tta);
        p.put("examplesToTargetMean", reached.length == 0 ? null : PairedStats.mean(reached));
        p.put("runsReachingTarget", reached.length);
        p.put(
            "badShareConsumed",
            PairedStats.mean(
                finite(
                    bySeed(ts, seeds, t -> t.badConsumed() / (double) Math.max(1, t.consumed())))));
        if (d.newClass() >= 0) {
          p.put(
              "newClassConsumed",
              PairedStats.mean(
                  finite(bySeed(ts, seeds, t -> (double) t.classesConsumed()[d.newClass()]))));
        }
        p.put(
            "naturalMixAccuracy",
            PairedStats.mean(finite(bySeed(ts, seeds, t -> naturalMix(last(t), prior)))));
        p.put(
            "consumedMean",
            PairedStats.mean(finite(bySeed(ts, seeds, t -> (double) t.consumed()))));
        p.put(
            "evaluationRoundsMean",
            PairedStats.mean(finite(bySeed(ts, seeds, t -> (double) t.evaluationRounds()))));
        Map<String, Long> groups = new TreeMap<>();
        ts.forEach(t -> t.groupsConsumed().forEach((g, n) -> groups.merge(g, n, Long::sum)));
        long total = groups.values().stream().mapToLong(Long::longValue).sum();
        Map<String, Double> shares = new TreeMap<>();
        groups.forEach((g, n) -> shares.put(g, n / (double) Math.max(1, total)));
        p.put("groupShareConsumed", shares);
        byPolicy.put(policy, p);
        for (ScenarioTrainer t : ts) {
          Map<String, Object> run = new LinkedHashMap<>();
          run.put("trainer", t.trainerId());
          run.put("policy", policy);
          run.put("kind", t.kind().label());
          run.put("seed", t.seed());
          run.put("examplesConsumed", t.consumed());
          run.put("batches", t.batches());
          run.put("badConsumed", t.badConsumed());
          run.put("arrivalConsumed", t.arrivalConsumed());
          run.put("evaluationRounds", t.evaluationRounds());
          run.put("finalPrimary", primary(s, last(t)));
          run.put("finalAccuracy", last(t).accuracy());
          run.put("finalGroupAccuracy", last(t).groupAccuracy());
          run.put("examplesToTarget", examplesToTarget(s, t, target));
          run.put("groupsConsumed", t.groupsConsumed());
          run.put("classesConsumed", t.classesConsumed());
          run.put("curve", t.curve());
          runs.add(run);
        }
      }
      Map<String, Object> k = new LinkedHashMap<>();
      k.put("trainer", kind.label());
      k.put("baselinePrimaryMean", PairedStats.mean(finite(basePrimary)));
      k.put("target", target);
      k.put("policies", byPolicy);
      kinds.put(kindName, k);
    }
    out.put("trainers", kinds);
    out.put("runs", runs);
    return out;
  }

  private static Map<String, Object> delta(PairedStats.Delta d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mean", d.mean());
    m.put("ci95Low", d.low());
    m.put("ci95High", d.high());
    m.put("pairs", d.pairs());
    return m;
  }

  private static double[] finite(double[] v) {
    return java.util.Arrays.stream(v).filter(x -> !Double.isNaN(x)).toArray();
  }

  /** Mean and std over seeds of the primary metric at each test point, per policy. */
  static Map<String, Plots.Curve> curves(
      ScenarioData d, List<ScenarioTrainer> trainers, List<String> policies, String kindName) {
    Scenario s = d.scenario();
    ScenarioTrainer.Kind kind = ScenarioBenchmark.kind(kindName, s);
    Map<String, Plots.Curve> out = new LinkedHashMap<>();
    for (String policy : policies) {
      List<ScenarioTrainer> ts =
          trainers.stream().filter(t -> t.kind() == kind && t.policy().equals(policy)).toList();
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
        double[] v = finite(ts.stream().mapToDouble(t -> primary(s, t.curve().get(i))).toArray());
        mean[k] = v.length == 0 ? 0 : PairedStats.mean(v);
        std[k] = PairedStats.std(v);
      }
      out.put(policy, new Plots.Curve(x, mean, std));
    }
    return out;
  }

  /** The scenario's section: what it is, its primary metric, then one table per trainer kind. */
  @SuppressWarnings("unchecked")
  static String markdown(ScenarioData d, Map<String, Object> r, ScenarioBenchmark.Settings st) {
    Scenario s = d.scenario();
    StringBuilder md = new StringBuilder();
    md.append(String.format("### %s %s (%s)%n%n", s.name(), s.label, d.source()));
    md.append(s.description).append(".\n\n");
    md.append(
        String.format(
            "**Primary metric: %s.** Δ is the mean paired difference against `%s` over %d seeds,"
                + " [95 %% t-interval]. Budget %,d examples per trainer in batches of %d; %,d"
                + " streamed; %s.%n%n",
            s.primary.description,
            s.baseline,
            st.seeds(),
            st.budget(),
            st.batchSize(),
            d.stream().size(),
            d.notes()));
    Map<String, Object> kinds = (Map<String, Object>) r.get("trainers");
    for (Map.Entry<String, Object> ke : kinds.entrySet()) {
      Map<String, Object> k = (Map<String, Object>) ke.getValue();
      md.append(
          String.format(
              "#### %s trainer (target: %.0f %% of the baseline's %s = %.3f)%n%n",
              k.get("trainer"),
              st.targetFraction() * 100,
              s == Scenario.S6 ? "overall accuracy" : "primary metric",
              (Double) k.get("target")));
      boolean accuracyIsPrimary = s.primary == Scenario.Metric.ACCURACY;
      StringBuilder head = new StringBuilder("| policy | primary | Δ primary [95 % CI] |");
      if (!accuracyIsPrimary) {
        head.append(" accuracy | Δ accuracy [95 % CI] |");
      } else {
        head.append(" ");
      }
      head.append(
          s == Scenario.S6 ? " examples after arrival to target |" : " examples to target |");
      if (s == Scenario.S2) {
        head.append(" bad share consumed |");
      }
      if (s.longTail()) {
        head.append(" natural-mix accuracy |");
      }
      if (s == Scenario.S6) {
        head.append(" new-class examples trained on |");
      }
      md.append(head.toString().replace("|  ", "| ")).append('\n');
      md.append("|---".repeat((int) head.chars().filter(ch -> ch == '|').count() - 1))
          .append("|\n");
      Map<String, Map<String, Object>> ps = (Map<String, Map<String, Object>>) k.get("policies");
      for (Map.Entry<String, Map<String, Object>> pe : ps.entrySet()) {
        Map<String, Object> p = pe.getValue();
        int runs = (Integer) p.get("runs");
        int reached = (Integer) p.get("runsReachingTarget");
        String tta =
            reached == 0
                ? "not reached (0/" + runs + ")"
                : String.format("%,.0f", (Double) p.get("examplesToTargetMean"))
                    + (reached < runs ? " (" + reached + "/" + runs + ")" : "");
        StringBuilder row = new StringBuilder();
        row.append(
            String.format(
                "| %s | %.3f ± %.3f | %s |",
                pe.getKey(),
                (Double) p.get("primaryMean"),
                (Double) p.get("primaryStd"),
                deltaCell((Map<String, Object>) p.get("primaryDelta"))));
        if (!accuracyIsPrimary) {
          row.append(
              String.format(
                  " %.3f ± %.3f | %s |",
                  (Double) p.get("accuracyMean"),
                  (Double) p.get("accuracyStd"),
                  deltaCell((Map<String, Object>) p.get("accuracyDelta"))));
        }
        row.append(' ').append(tta).append(" |");
        if (s == Scenario.S2) {
          row.append(String.format(" %.3f |", (Double) p.get("badShareConsumed")));
        }
        if (s.longTail()) {
          row.append(String.format(" %.3f |", (Double) p.get("naturalMixAccuracy")));
        }
        if (s == Scenario.S6) {
          row.append(String.format(" %.0f |", (Double) p.get("newClassConsumed")));
        }
        md.append(row).append('\n');
      }
      md.append('\n');
    }
    return md.toString();
  }

  static String deltaCell(Map<String, Object> d) {
    double mean = (Double) d.get("mean");
    double lo = (Double) d.get("ci95Low");
    double hi = (Double) d.get("ci95High");
    if (Double.isNaN(mean)) {
      return "–";
    }
    if (Double.isNaN(lo)) {
      return String.format("%+.3f", mean);
    }
    return String.format("%+.3f [%+.3f, %+.3f]", mean, lo, hi);
  }
}
