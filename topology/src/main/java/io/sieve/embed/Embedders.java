package io.sieve.embed;

import io.sieve.config.SieveConfig;

/** Chooses the text embedder from {@code embedder} and {@code embedding.dimension}. */
public final class Embedders {

  private Embedders() {}

  /**
   * The configured embedder. For {@code minilm} this loads the model now (once per JVM), so that a
   * model that cannot load stops the service at start-up rather than at the first text.
   */
  public static Embedder fromConfig(SieveConfig config) {
    String kind = config.getString(SieveConfig.EMBEDDER_CONFIG);
    switch (kind) {
      case SieveConfig.EMBEDDER_HASHING:
        return new HashingEmbedder(config.dimension());
      case SieveConfig.EMBEDDER_MINILM:
        // SieveConfig has already checked that the dimension is the model's
        return MiniLmEmbedder.shared();
      default:
        throw new IllegalArgumentException("unknown embedder: " + kind);
    }
  }

  /**
   * The near-duplicate ε for examples Sieve embedded from text: {@code dedup.near.epsilon.text} as
   * a number; {@code calibrated} for the configured embedder's own ({@link
   * HashingEmbedder#NEAR_EPSILON}, {@link MiniLmEmbedder#NEAR_EPSILON}); unset, {@code
   * dedup.near.epsilon}. Embedders differ widely in how far an edit moves a text: one dropped word
   * of a WordNet gloss leaves a median cosine of 0.91 under feature hashing and 0.95 under MiniLM,
   * so one ε for both would catch half the re-crawls of one and few of the other. The calibrated
   * values are not the default: on short templated texts ("alpha beta item 7") they treat texts
   * that differ in one token as copies.
   */
  public static double nearEpsilon(SieveConfig config) {
    String set = config.getString(SieveConfig.DEDUP_NEAR_EPSILON_TEXT_CONFIG);
    if (set == null) {
      return config.getDouble(SieveConfig.DEDUP_NEAR_EPSILON_CONFIG);
    }
    if (!SieveConfig.DEDUP_NEAR_EPSILON_CALIBRATED.equals(set)) {
      return Double.parseDouble(set.trim());
    }
    String kind = config.getString(SieveConfig.EMBEDDER_CONFIG);
    return switch (kind) {
      case SieveConfig.EMBEDDER_HASHING -> HashingEmbedder.NEAR_EPSILON;
      case SieveConfig.EMBEDDER_MINILM -> MiniLmEmbedder.NEAR_EPSILON;
      default -> throw new IllegalArgumentException("unknown embedder: " + kind);
    };
  }
}
