package io.sieve.demo;

import io.sieve.avro.TrainingExample;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A long-tailed synthetic stream of training examples: topics of very different sizes (Zipf
 * weights), each with its own vocabulary; group attributes with skewed shares; a share of exact
 * duplicates and of malformed records of every kind the service must dead-letter.
 */
public final class SyntheticFeed {

  /** One record to send: an example, or raw bytes that are not an example at all. */
  public record Item(String key, TrainingExample example, byte[] garbage, String kind) {}

  static final String[] LANGS = {"en", "de", "fr", "ja"};
  static final double[] LANG_SHARES = {0.70, 0.15, 0.10, 0.05};
  static final String[] SOURCES = {"web", "books", "code"};
  static final double[] SOURCE_SHARES = {0.60, 0.25, 0.15};
  static final String[] REGIONS = {"eu", "na", "apac"};
  static final double[] REGION_SHARES = {0.50, 0.30, 0.20};
  private static final String[] SYLLABLES = {
    "ka", "lo", "mi", "ne", "su", "ta", "ro", "vi", "de", "pa", "zu", "fe", "gi", "ho", "ju", "bo"
  };

  private final Random rng;
  private final int dimension;
  private final int topics;
  private final double[] topicShares;
  private final List<String[]> vocabularies = new ArrayList<>();
  private final String[] common;
  private final double malformedShare;
  private final double duplicateShare;
  private final List<String> recentTexts = new ArrayList<>();
  private long next;

  public SyntheticFeed(long seed, int dimension, int topics, double malformed, double duplicates) {
    this.rng = new Random(seed);
    this.dimension = dimension;
    this.topics = topics;
    this.malformedShare = malformed;
    this.duplicateShare = duplicates;
    this.topicShares = new double[topics];
    double sum = 0;
    for (int t = 0; t < topics; t++) {
      topicShares[t] = 1.0 / Math.pow(t + 1, 1.3);
      sum += topicShares[t];
    }
    for (int t = 0; t < topics; t++) {
      topicShares[t] /= sum;
      vocabularies.add(words(30));
    }
    common = words(20);
  }

  /** Share of each topic in the feed, by topic label. */
  public Map<String, Double> topicShares() {
    Map<String, Double> out = new LinkedHashMap<>();
    for (int t = 0; t < topics; t++) {
      out.put(label(t), topicShares[t]);
    }
    return out;
  }

  public Item next() {
    long n = next++;
    double u = rng.nextDouble();
    if (u < malformedShare) {
      return malformed(n);
    }
    if (u < malformedShare + duplicateShare && !recentTexts.isEmpty()) {
      String text = recentTexts.get(rng.nextInt(recentTexts.size()));
      return new Item("ex-" + n, example("ex-" + n, text, 0), null, "duplicate");
    }
    int topic = pick(topicShares);
    String[] vocab = vocabularies.get(topic);
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      text.append(vocab[rng.nextInt(vocab.length)]).append(' ');
    }
    for (int i = 0; i < 3; i++) {
      text.append(common[rng.nextInt(common.length)]).append(' ');
    }
    String t = text.toString().trim() + " #" + n;
    if (recentTexts.size() < 500) {
      recentTexts.add(t);
    } else {
      recentTexts.set(rng.nextInt(500), t);
    }
    return new Item("ex-" + n, example("ex-" + n, t, topic), null, "valid");
  }

  private Item malformed(long n) {
    String id = "bad-" + n;
    switch ((int) (n % 5)) {
      case 0:
        return new Item(id, example("", "an example without an id", 0), null, "missing-id");
      case 1:
        return new Item(id, TrainingExample.newBuilder().setId(id).build(), null, "no-content");
      case 2:
        {
          List<Float> wrong = new ArrayList<>();
          for (int i = 0; i < dimension / 2 + 1; i++) {
            wrong.add(0.1f);
          }
          return new Item(
              id,
              TrainingExample.newBuilder().setId(id).setEmbedding(wrong).build(),
              null,
              "wrong-dimension");
        }
      case 3:
        {
          List<Float> nan = new ArrayList<>();
          for (int i = 0; i < dimension; i++) {
            nan.add(i == 3 ? Float.NaN : 0.1f);
          }
          return new Item(
              id,
              TrainingExample.newBuilder().setId(id).setEmbedding(nan).build(),
              null,
              "non-finite-embedding");
        }
      default:
        return new Item(id, null, ("not avro " + n).getBytes(), "undeserializable");
    }
  }

  private TrainingExample example(String id, String text, int topic) {
    Map<String, String> groups = new LinkedHashMap<>();
    groups.put("lang", LANGS[pick(LANG_SHARES)]);
    groups.put("source", SOURCES[pick(SOURCE_SHARES)]);
    groups.put("region", REGIONS[pick(REGION_SHARES)]);
    return TrainingExample.newBuilder()
        .setId(id)
        .setText(text)
        .setGroups(groups)
        .setLabel(label(topic))
        .setEventTime(Instant.ofEpochMilli(System.currentTimeMillis()))
        .build();
  }

  static String label(int topic) {
    return "topic-" + topic;
  }

  private int pick(double[] shares) {
    double u = rng.nextDouble();
    double acc = 0;
    for (int i = 0; i < shares.length; i++) {
      acc += shares[i];
      if (u < acc) {
        return i;
      }
    }
    return shares.length - 1;
  }

  private String[] words(int n) {
    String[] out = new String[n];
    for (int i = 0; i < n; i++) {
      StringBuilder w = new StringBuilder();
      int syllables = 2 + rng.nextInt(3);
      for (int s = 0; s < syllables; s++) {
        w.append(SYLLABLES[rng.nextInt(SYLLABLES.length)]);
      }
      out[i] = w.toString();
    }
    return out;
  }
}
