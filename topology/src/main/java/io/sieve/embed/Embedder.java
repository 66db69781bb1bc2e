package io.sieve.embed;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns text into a unit vector of fixed dimension, so that cosine similarity is a dot product.
 *
 * <p>Implementations are thread-safe: one instance serves every stream thread of the JVM.
 */
public interface Embedder {

  /** The length of every vector this embedder returns. */
  int dimension();

  /** The embedder's name as configured ({@code embedder}), recorded on what it embedded. */
  String name();

  /**
   * Embeds {@code text} as an L2-normalised vector of length {@link #dimension()}.
   *
   * @throws IllegalArgumentException if the text has nothing to embed (blank, or no features)
   */
  float[] embed(String text);

  /**
   * Embeds every text, in order. The default embeds one at a time; an implementation overrides it
   * where a batch is cheaper than its parts.
   *
   * @throws IllegalArgumentException if any text has nothing to embed
   */
  default List<float[]> embedAll(List<String> texts) {
    List<float[]> out = new ArrayList<>(texts.size());
    for (String text : texts) {
      out.add(embed(text));
    }
    return out;
  }
}
