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

  /** A fixed ring of 64 unit queries, taken in turn, so that no call repeats the last one. */
  static final class Queries {
    private static final int COUNT = 64;
    private final float[][] queries = new float[COUNT][];
    private int next;

    Queries(Random rng, int dimension) {
      for (int q = 0; q < COUNT; q++) {
        queries[q] = unitVector(rng, dimension);
      }
    }

    float[] next() {
      next = (next + 1) & (COUNT - 1);
      return queries[next];
    }
  }

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
