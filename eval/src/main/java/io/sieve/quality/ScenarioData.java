package io.sieve.quality;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One scenario's data, after its transformation: the stream sent to Sieve (in arrival order), the
 * clean stream an oracle reads where one is defined, a validation slice the trainers keep for
 * themselves (feedback is computed on it), and the test set, which never enters Sieve and never
 * reaches feedback.
 *
 * @param scenario the scenario this data was made for
 * @param source the data set it was made from
 * @param groupAttribute the attribute whose values the report breaks accuracy down by
 * @param classes number of labels, 0..classes−1
 * @param dimension embedding dimension Sieve is configured with
 * @param stream every example sent to Sieve, in arrival order
 * @param arrival index into {@code stream} where the second phase starts (S6), or {@code
 *     stream.size()} when the whole stream is sent before training
 * @param clean the oracle's stream (the stream without its copies or its bad sources; S5: before
 *     its tail was cut), or null
 * @param testAttribute the attribute the validation and test sets are broken down by (the stream's
 *     own attribute may not exist off the stream, as S2's sources do not)
 * @param validation the trainers' own validation slice, unit-norm features
 * @param test the held-out test set, unit-norm features
 * @param bad ids of the examples a trainer should not want (S2's noisy sources)
 * @param newClass the class that appears mid-run (S6), or −1
 * @param notes what the transformation did, with its counts, for the report
 */
record ScenarioData(
    Scenario scenario,
    String source,
    String groupAttribute,
    int classes,
    int dimension,
    List<Example> stream,
    int arrival,
    List<Example> clean,
    String testAttribute,
    ScenarioTrainer.Labelled validation,
    ScenarioTrainer.Labelled test,
    Set<String> bad,
    int newClass,
    Map<String, Object> notes) {

  /**
   * One example as a scenario sends it.
   *
   * @param id stable id
   * @param text text Sieve embeds, or null when the example brings its embedding
   * @param embedding the embedding sent to Sieve (not normalised), or null for text
   * @param label 0..classes−1, as the stream carries it (possibly wrong, in S2)
   * @param groups group attributes sent with the example
   */
  record Example(String id, String text, float[] embedding, int label, Map<String, String> groups) {

    Example withLabel(int newLabel) {
      return new Example(id, text, embedding, newLabel, groups);
    }
  }

  /** The examples of the first phase, sent before training starts. */
  List<Example> firstPhase() {
    return stream.subList(0, arrival);
  }

  /** The examples that arrive mid-run (S6), possibly none. */
  List<Example> secondPhase() {
    return stream.subList(arrival, stream.size());
  }
}
