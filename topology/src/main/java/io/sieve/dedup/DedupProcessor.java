package io.sieve.dedup;

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
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops exact duplicates. Records arrive keyed by content hash (see {@link #contentHash}), so every
 * copy of one content meets the same store; the first id seen for a content wins. A content is
 * remembered for the retention period (by record time), so that the store stays bounded on a feed
 * that never ends; a copy arriving later than that is treated as new.
 */
public final class DedupProcessor
    implements Processor<String, TrainingExample, String, TrainingExample> {

  private static final Logger LOG = LoggerFactory.getLogger(DedupProcessor.class);

  private final SieveMetrics metrics;
  private final long retentionMs;
  private ProcessorContext<String, TrainingExample> context;
  private WindowStore<String, String> seen;

  public DedupProcessor(SieveMetrics metrics, Duration retention) {
    this.metrics = metrics;
    this.retentionMs = retention.toMillis();
  }

  @Override
  public void init(ProcessorContext<String, TrainingExample> context) {
    this.context = context;
    this.seen = context.getStateStore(Stores.DEDUP);
  }

  @Override
  public void process(Record<String, TrainingExample> record) {
    long time = record.timestamp();
    String first = null;
    try (WindowStoreIterator<String> it =
        seen.fetch(record.key(), Math.max(0, time - retentionMs), time + retentionMs)) {
      if (it.hasNext()) {
        first = it.next().value;
      }
    }
    String id = record.value().getId();
    if (first != null) {
      metrics.duplicateDropped();
      LOG.debug("example {} duplicates {}; dropped", id, first);
      return;
    }
    seen.put(record.key(), id, time);
    context.forward(record.withKey(id));
  }

  /**
   * SHA-256 of the text when there is one, else of the embedding as given; examples with the same
   * content but other ids or groups are duplicates.
   */
  public static String contentHash(TrainingExample example) {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
    String text = example.getText();
    if (text != null && !text.isBlank()) {
      digest.update((byte) 't');
      digest.update(text.getBytes(StandardCharsets.UTF_8));
    } else {
      // the packed form is the float32 little-endian bytes hashed since before it existed
      digest.update((byte) 'e');
      digest.update(Vectors.pack(Embeddings.of(example)));
    }
    return HexFormat.of().formatHex(digest.digest(), 0, 16);
  }
}
