package io.sieve.dedup;

import io.sieve.avro.BatchExample;
import io.sieve.avro.TrainingExample;
import io.sieve.cluster.Vectors;
import io.sieve.serde.Embeddings;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops exact duplicates: the first id seen for a content wins, later copies are counted and
 * dropped. Every copy of one content must reach the same task, which the topology arranges in one
 * of two ways ({@code dedup.scope}): {@link #global} takes records repartitioned by their content
 * hash (the key) and re-keys the survivors by example id; {@link #inPool} sits in the pool's task
 * after the repartition by cluster, where copies meet because identical content embeds identically
 * and so is assigned to the same cluster (unless a model update moved the nearest centre between
 * two copies), and passes survivors on unchanged. A content is remembered for the retention period
 * (by record time), so that the store stays bounded on a feed that never ends; a copy arriving
 * later than that is treated as new.
 *
 * @param <K> the record key
 * @param <V> the example type
 */
public final class DedupProcessor<K, V> implements Processor<K, V, K, V> {

  private static final Logger LOG = LoggerFactory.getLogger(DedupProcessor.class);

  private final SieveMetrics metrics;
  private final long retentionMs;
  private final Function<Record<K, V>, String> contentOf;
  private final Function<V, String> idOf;
  private final UnaryOperator<Record<K, V>> onward;
  private ProcessorContext<K, V> context;
  private WindowStore<String, String> seen;

  private DedupProcessor(
      SieveMetrics metrics,
      Duration retention,
      Function<Record<K, V>, String> contentOf,
      Function<V, String> idOf,
      UnaryOperator<Record<K, V>> onward) {
    this.metrics = metrics;
    this.retentionMs = retention.toMillis();
    this.contentOf = contentOf;
    this.idOf = idOf;
    this.onward = onward;
  }

  /** Records keyed by {@link #contentHash}; survivors leave keyed by example id. */
  public static DedupProcessor<String, TrainingExample> global(
      SieveMetrics metrics, Duration retention) {
    return new DedupProcessor<>(
        metrics, retention, Record::key, TrainingExample::getId, r -> r.withKey(r.value().getId()));
  }

  /** Pooled examples keyed by cluster; the content hash is computed here, keys are kept. */
  public static DedupProcessor<Integer, BatchExample> inPool(
      SieveMetrics metrics, Duration retention) {
    return new DedupProcessor<>(
        metrics,
        retention,
        r -> contentHash(r.value()),
        BatchExample::getId,
        UnaryOperator.identity());
  }

  @Override
  public void init(ProcessorContext<K, V> context) {
    this.context = context;
    this.seen = context.getStateStore(Stores.DEDUP);
  }

  @Override
  public void process(Record<K, V> record) {
    long time = record.timestamp();
    String content = contentOf.apply(record);
    String first = null;
    try (WindowStoreIterator<String> it =
        seen.fetch(content, Math.max(0, time - retentionMs), time + retentionMs)) {
      if (it.hasNext()) {
        first = it.next().value;
      }
    }
    String id = idOf.apply(record.value());
    if (first != null) {
      metrics.duplicateDropped();
      LOG.debug("example {} duplicates {}; dropped", id, first);
      return;
    }
    seen.put(content, id, time);
    context.forward(onward.apply(record));
  }

  /**
   * SHA-256 of the text when there is one, else of the (unit-norm) embedding; examples with the
   * same content but other ids or groups are duplicates.
   */
  public static String contentHash(TrainingExample example) {
    return contentHash(example.getText(), () -> Embeddings.of(example));
  }

  /**
   * {@link #contentHash(TrainingExample)} of an assigned example: the same for the same content.
   */
  public static String contentHash(BatchExample example) {
    return contentHash(example.getText(), () -> Embeddings.of(example));
  }

  private static String contentHash(String text, Supplier<float[]> embedding) {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
    if (text != null && !text.isBlank()) {
      digest.update((byte) 't');
      digest.update(text.getBytes(StandardCharsets.UTF_8));
    } else {
      // the packed form is the float32 little-endian bytes hashed since before it existed
      digest.update((byte) 'e');
      digest.update(Vectors.pack(embedding.get()));
    }
    return HexFormat.of().formatHex(digest.digest(), 0, 16);
  }
}
