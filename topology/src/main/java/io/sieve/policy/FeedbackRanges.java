package io.sieve.policy;

import io.sieve.avro.EvaluationRound;
import io.sieve.avro.TrainerFeedback;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks every number a feedback carries (losses, metrics, learnability, an evaluation round's
 * losses) for finiteness and for range: {@code |v| <= maxAbs}. A finite 1e308 is as harmful as
 * Infinity once a policy adds or squares it: its scaling, running means and weights would hold
 * Infinity for good. Values out of range are left out and named, so that the batch is still
 * acknowledged and the trainer's other numbers still count.
 */
public final class FeedbackRanges {

  /** The first refused values named in a dead letter; the count covers them all. */
  private static final int NAMED = 5;

  private FeedbackRanges() {}

  /**
   * @param feedback what was kept (the same instance when nothing was refused)
   * @param refused "field[key]=value" of each value left out
   */
  public record Checked(TrainerFeedback feedback, List<String> refused) {

    /** One line for a dead letter: how many values were refused, and the first few. */
    public String describe(double maxAbs) {
      List<String> named = refused.subList(0, Math.min(NAMED, refused.size()));
      return refused.size()
          + " value(s) not finite or beyond ±"
          + maxAbs
          + " (feedback.max.abs.loss) were ignored: "
          + String.join(", ", named)
          + (refused.size() > NAMED ? ", ..." : "");
    }
  }

  public static Checked check(TrainerFeedback feedback, double maxAbs) {
    List<String> refused = new ArrayList<>();
    Map<String, Double> exampleLosses =
        kept("exampleLosses", feedback.getExampleLosses(), maxAbs, refused);
    Map<String, Double> clusterLosses =
        kept("clusterLosses", feedback.getClusterLosses(), maxAbs, refused);
    Map<String, Double> groupLosses =
        kept("groupLosses", feedback.getGroupLosses(), maxAbs, refused);
    Map<String, Double> groupMetrics =
        kept("groupMetrics", feedback.getGroupMetrics(), maxAbs, refused);
    Map<String, Double> exampleLearnability =
        kept("exampleLearnability", feedback.getExampleLearnability(), maxAbs, refused);
    Map<String, Double> clusterLearnability =
        kept("clusterLearnability", feedback.getClusterLearnability(), maxAbs, refused);
    EvaluationRound evaluation = feedback.getEvaluation();
    EvaluationRound keptEvaluation = evaluation;
    if (evaluation != null) {
      int before = refused.size();
      Double validation = evaluation.getValidationLoss();
      boolean validationOk = validation == null || inRange(validation, maxAbs);
      if (!validationOk) {
        refused.add("evaluation.validationLoss=" + validation);
      }
      Map<String, Double> evalGroups =
          kept("evaluation.groupLosses", evaluation.getGroupLosses(), maxAbs, refused);
      Map<String, Double> evalClusters =
          kept("evaluation.clusterLosses", evaluation.getClusterLosses(), maxAbs, refused);
      if (refused.size() > before) {
        keptEvaluation =
            EvaluationRound.newBuilder(evaluation)
                .setValidationLoss(validationOk ? validation : null)
                .setGroupLosses(evalGroups)
                .setClusterLosses(evalClusters)
                .build();
      }
    }
    if (refused.isEmpty()) {
      return new Checked(feedback, List.of());
    }
    TrainerFeedback kept =
        TrainerFeedback.newBuilder(feedback)
            .setExampleLosses(exampleLosses)
            .setClusterLosses(clusterLosses)
            .setGroupLosses(groupLosses)
            .setGroupMetrics(groupMetrics)
            .setExampleLearnability(exampleLearnability)
            .setClusterLearnability(clusterLearnability)
            .setEvaluation(keptEvaluation)
            .build();
    return new Checked(kept, refused);
  }

  /** Whether one value may reach a policy. */
  public static boolean inRange(Double v, double maxAbs) {
    return v != null && Double.isFinite(v) && Math.abs(v) <= maxAbs;
  }

  private static Map<String, Double> kept(
      String field, Map<String, Double> values, double maxAbs, List<String> refused) {
    if (values == null || values.isEmpty()) {
      return values;
    }
    Map<String, Double> out = null;
    for (Map.Entry<String, Double> e : values.entrySet()) {
      if (!inRange(e.getValue(), maxAbs)) {
        if (out == null) {
          out = new LinkedHashMap<>(values);
        }
        out.remove(e.getKey());
        refused.add(field + "[" + e.getKey() + "]=" + e.getValue());
      }
    }
    return out == null ? values : out;
  }
}
