package io.sieve.quality;

import io.sieve.cluster.Vectors;
import io.sieve.embed.Embedder;
import io.sieve.embed.HashingEmbedder;
import io.sieve.embed.MiniLmEmbedder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures, for each text embedder, where S1's re-crawl copies of WordNet glosses land: the cosine
 * between a copy and its original (quantiles), and the share of distinct glosses whose nearest
 * other gloss is at least as close (false near duplicates). The embedders' {@code NEAR_EPSILON}
 * constants come from the medians it prints.
 *
 * <p>{@code java -cp cli/target/sieve-cli-*-all.jar io.sieve.quality.NearCalibration [wordnet-dir]
 * [copies] [distinct]}
 */
public final class NearCalibration {

  private NearCalibration() {}

  public static void main(String[] args) {
    Path dir = Path.of(args.length > 0 ? args[0] : "/usr/share/wordnet");
    int copies = args.length > 1 ? Integer.parseInt(args[1]) : 600;
    int distinct = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
    Dataset d = WordNet.load(dir, 30_000, 100, 1L, 384);
    Scenarios.Redundant r =
        Scenarios.redundant(
            d.stream(), "pos", Scenarios.S1_COPY_SHARE, Scenarios.S1_ZIPF_EXPONENT, 1L);
    for (Embedder e : List.of(new HashingEmbedder(384), MiniLmEmbedder.shared())) {
      report(e, r, copies, distinct);
    }
  }

  private static void report(Embedder e, Scenarios.Redundant r, int copies, int distinct) {
    Map<String, String> original = new HashMap<>();
    for (ScenarioData.Example o : r.originals()) {
      original.put(o.id(), o.text());
    }
    List<Double> copy = new ArrayList<>();
    for (ScenarioData.Example s : r.stream()) {
      int mark = s.id().indexOf("~c");
      if (mark >= 0 && copy.size() < copies) {
        copy.add(
            (double)
                Vectors.dot(e.embed(s.text()), e.embed(original.get(s.id().substring(0, mark)))));
      }
    }
    Collections.sort(copy);
    List<float[]> vs = new ArrayList<>();
    for (int i = 0; i < distinct; i++) {
      vs.add(e.embed(r.originals().get(i).text()));
    }
    List<Double> nearest = new ArrayList<>();
    for (int i = 0; i < vs.size(); i++) {
      double best = -1;
      for (int j = 0; j < vs.size(); j++) {
        if (j != i) {
          best = Math.max(best, Vectors.dot(vs.get(i), vs.get(j)));
        }
      }
      nearest.add(best);
    }
    System.out.printf(
        "%s: copy-to-original cosine over %d copies: q10 %.3f, q25 %.3f, median %.3f, q75 %.3f%n",
        e.name(), copy.size(), q(copy, 0.10), q(copy, 0.25), q(copy, 0.5), q(copy, 0.75));
    for (double eps : new double[] {0.01, 0.05, 0.10, 0.15, 0.20}) {
      double t = 1 - eps;
      System.out.printf(
          "  epsilon %.2f: copies caught %.3f; distinct glosses with a neighbour as close (of %d)"
              + " %.4f%n",
          eps, share(copy, t), nearest.size(), share(nearest, t));
    }
  }

  private static double q(List<Double> sorted, double p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) (p * sorted.size())));
  }

  private static double share(List<Double> values, double t) {
    return values.stream().filter(v -> v >= t).count() / (double) values.size();
  }
}
