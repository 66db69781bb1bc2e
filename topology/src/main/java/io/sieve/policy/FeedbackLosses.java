package io.sieve.policy;

import io.sieve.avro.TrainerFeedback;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a feedback's per-cluster losses; keys that are not cluster ids and non-finite losses are
 * skipped.
 */
final class FeedbackLosses {

  private FeedbackLosses() {}

  static TreeMap<Integer, Double> byCluster(TrainerFeedback feedback) {
    TreeMap<Integer, Double> out = new TreeMap<>();
    for (Map.Entry<String, Double> e : feedback.getClusterLosses().entrySet()) {
      Double v = e.getValue();
      if (v == null || !Double.isFinite(v)) {
        continue;
      }
      try {
        out.put(Integer.parseInt(e.getKey().trim()), v);
      } catch (NumberFormatException ignored) {
        // not a cluster id: the schema says decimal strings, anything else carries no signal
      }
    }
    return out;
  }

  /** Finite group losses whose key is {@code attribute=value}, by value. */
  static TreeMap<String, Double> byGroup(TrainerFeedback feedback, String attribute) {
    TreeMap<String, Double> out = new TreeMap<>();
    String prefix = attribute + "=";
    for (Map.Entry<String, Double> e : feedback.getGroupLosses().entrySet()) {
      Double v = e.getValue();
      if (v != null && Double.isFinite(v) && e.getKey().startsWith(prefix)) {
        out.put(e.getKey().substring(prefix.length()), v);
      }
    }
    return out;
  }
}
