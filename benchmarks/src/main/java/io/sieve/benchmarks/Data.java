package io.sieve.benchmarks;

import io.sieve.avro.BatchExample;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Seeded synthetic inputs shaped like Sieve's. */
final class Data {

  private static final String[] WORDS = {
    "broker",
    "partition",
    "offset",
    "consumer",
    "producer",
    "topic",
    "goal",
    "striker",
    "keeper",
    "penalty",
    "league",
    "referee",
    "flour",
    "sugar",
    "butter",
    "oven",
    "dough",
    "whisk",
    "river",
    "ocean",
    "lake",
    "stream",
    "creek",
    "delta",
    "bay",
    "fjord",
    "anvil",
    "hammer",
    "chisel"
  };

  private Data() {}

  static float[] unitVector(Random rng, int dimension) {
    float[] v = new float[dimension];
    double sq = 0;
    for (int i = 0; i < dimension; i++) {
      v[i] = (float) rng.nextGaussian();
      sq += (double) v[i] * v[i];
    }
    float inv = (float) (1 / Math.sqrt(sq));
    for (int i = 0; i < dimension; i++) {
      v[i] *= inv;
    }
    return v;
  }

  /** About {@code chars} characters of words. */
  static String text(Random rng, int chars) {
    StringBuilder b = new StringBuilder();
    while (b.length() < chars) {
      b.append(WORDS[rng.nextInt(WORDS.length)]).append(' ');
    }
    return b.toString().trim();
  }

  /** A pooled example: id, 200-character text, three groups, a 384-float embedding. */
  static BatchExample example(Random rng, int cluster, long slot) {
    float[] e = unitVector(rng, 384);
    List<Float> embedding = new ArrayList<>(e.length);
    for (float f : e) {
      embedding.add(f);
    }
    return BatchExample.newBuilder()
        .setId("ex-" + cluster + "-" + slot)
        .setClusterId(cluster)
        .setText(text(rng, 200))
        .setEmbedding(embedding)
        .setGroups(Map.of("lang", "en", "source", "web", "region", "eu"))
        .build();
  }
}
