package io.sieve.quality;

import java.util.List;

/**
 * A labelled data set split into a stream (sent to Sieve) and a held-out test set (evaluated
 * locally, never sent).
 *
 * @param name short name, used in trainer ids and topic names
 * @param groupAttribute the group attribute every example carries (for example {@code pos})
 * @param classes number of labels; labels are 0..classes−1
 * @param dimension embedding dimension Sieve must be configured with
 * @param ownEmbedding true when examples carry their own embedding, false when Sieve embeds the
 *     text
 * @param stream the examples sent to Sieve
 * @param test the held-out examples
 */
public record Dataset(
    String name,
    String groupAttribute,
    int classes,
    int dimension,
    boolean ownEmbedding,
    List<Item> stream,
    List<Item> test) {

  /**
   * One example.
   *
   * @param id stable id
   * @param text the text Sieve embeds, or null when the example brings its embedding
   * @param features the unit-norm embedding the trainer sees (Sieve's, computed the same way)
   * @param label 0..classes−1
   * @param group value of the group attribute
   */
  public record Item(String id, String text, float[] features, int label, String group) {}

  /** The group values of the test set, sorted. */
  public List<String> groups() {
    return test.stream().map(Item::group).distinct().sorted().toList();
  }
}
