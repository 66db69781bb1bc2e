package io.sieve.quality;

import java.util.List;
import java.util.Locale;

/**
 * The scenarios of the selection-quality benchmark (QUALITY.md): conditions real pipelines face
 * where selection should pay (S1, its concentrated form S1C and its image form S1I, S2, S3, S5 and
 * its natural form S5N, S6), and guards where it should not change anything (S0, S4). Each names
 * its data, its primary metric (declared before any result) and the baseline its paired differences
 * are taken against; the transformations are in {@link Scenarios}, each with the published rate its
 * strength comes from.
 */
enum Scenario {
  S0(
      "clean",
      "wordnet",
      Metric.ACCURACY,
      "uniform",
      "nothing special (guard): the clean stream, near duplicates kept so that uniform gets no"
          + " free deduplication"),
  S1(
      "redundancy",
      "wordnet",
      Metric.ACCURACY,
      "raw-uniform",
      "web-crawl redundancy: half the stream near-copies of popular items (Zipf popularity),"
          + " edited like re-crawls, in random order; Sieve with its defaults"),
  S1C(
      "redundancy-concentrated",
      "wordnet",
      Metric.ACCURACY,
      "raw-uniform",
      "web-crawl redundancy concentrated in a few topics: half the stream near-copies (Zipf"
          + " popularity) of items of 3 topics, edited like re-crawls, in random order; Sieve with"
          + " its defaults"),
  S1I(
      "redundancy-image",
      "fashion-mnist",
      Metric.ACCURACY,
      "raw-uniform",
      "web-crawl redundancy on images: half the stream near-copies of popular items (Zipf"
          + " popularity), jittered to cosine 0.985–0.999, in random order; Sieve with its"
          + " defaults"),
  S2(
      "noisy-source",
      "fashion-mnist",
      Metric.ACCURACY,
      "uniform",
      "three low-quality sources, 9 % of the stream, whose labels follow a fixed confusion"),
  S3(
      "minority-group",
      "gssvocab",
      Metric.WORST_GROUP,
      "uniform",
      "an under-represented group on a real attribute that is not the label (GSS nativeBorn),"
          + " subsampled to 5 % of the stream"),
  S4(
      "rs2-rounds",
      "wordnet",
      Metric.ACCURACY,
      "uniform",
      "RS2 time-to-accuracy rounds (guard): no transformation; each round 5 % of the pool,"
          + " several passes per round"),
  S5(
      "long-tail",
      "fashion-mnist",
      Metric.BALANCED_ACCURACY,
      "uniform",
      "class long tail, imbalance ratio 100 (CIFAR-LT protocol); balanced test set"),
  S5N(
      "long-tail-natural",
      "shuttle",
      Metric.BALANCED_ACCURACY,
      "uniform",
      "a natural extreme class long tail (Statlog Shuttle: 7 classes, from 45,586 readings down"
          + " to 10); test set balanced where the supply allows"),
  S6(
      "drift",
      "fashion-mnist",
      Metric.NEW_PART,
      "uniform",
      "a new class appears mid-run while the pool keeps growing");

  /** What a scenario's verdict rests on. */
  enum Metric {
    ACCURACY("test accuracy at budget", "accuracy"),
    WORST_GROUP(
        "worst-group test accuracy at budget (mean accuracy as a constraint)",
        "worst-group accuracy"),
    BALANCED_ACCURACY(
        "balanced test accuracy at budget (mean per-class recall)", "balanced accuracy"),
    NEW_PART(
        "test accuracy on the new class at budget, and examples after its arrival to reach"
            + " the target",
        "accuracy on the new class");

    final String description;
    final String axis;

    Metric(String description, String axis) {
      this.description = description;
      this.axis = axis;
    }
  }

  final String label;
  final String dataset;
  final Metric primary;
  final String baseline;
  final String description;

  Scenario(String label, String dataset, Metric primary, String baseline, String description) {
    this.label = label;
    this.dataset = dataset;
    this.primary = primary;
    this.baseline = baseline;
    this.description = description;
  }

  /** {@code S3}, {@code s3} or {@code minority-group}; null when unknown. */
  static Scenario byName(String name) {
    for (Scenario s : values()) {
      if (s.name().equalsIgnoreCase(name) || s.label.equals(name.toLowerCase(Locale.ROOT))) {
        return s;
      }
    }
    return null;
  }

  /** Scenario ids and names, for error messages. */
  static List<String> names() {
    return java.util.Arrays.stream(values()).map(s -> s.name() + " (" + s.label + ")").toList();
  }

  /**
   * Whether the scenario has an oracle: the clean stream (S1, S2), or the balanced stream before
   * its tail was cut (S5).
   */
  boolean hasOracle() {
    return redundancy() || this == S2 || this == S5;
  }

  /** Whether labels matter enough to compare label-balanced sampling. */
  boolean labelsMatter() {
    return longTail() || this == S6;
  }

  /** Web-crawl redundancy: S1, its concentrated form S1C, its image form S1I. */
  boolean redundancy() {
    return this == S1 || this == S1C || this == S1I;
  }

  /** A class long tail, cut (S5) or natural (S5N): balanced accuracy, natural-mix accuracy. */
  boolean longTail() {
    return this == S5 || this == S5N;
  }

  /** Near-duplicate handling of the scenario's Sieve instance. */
  String nearPolicy() {
    // S1 runs Sieve as a user would against a crawl: its defaults, which drop near duplicates.
    // Everywhere else they are kept, so that uniform through Sieve gets no free deduplication
    // that the raw-stream baseline lacks (QUALITY.md, S0).
    return redundancy() ? "drop" : "keep";
  }
}
