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
}
