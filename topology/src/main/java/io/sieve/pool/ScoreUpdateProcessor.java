package io.sieve.pool;

import io.sieve.avro.BatchExample;
import io.sieve.avro.ScoreEntry;
import io.sieve.avro.ScoreUpdate;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Writes trainers' per-example losses into the pool as the examples' scores (keyed by cluster,
 * beside the pool). A slot is updated only while it still holds the example the loss is about: the
 * reservoir may have replaced it since, and a loss must never land on another example.
 */
public final class ScoreUpdateProcessor implements Processor<Integer, ScoreUpdate, Void, Void> {

  private final SieveMetrics metrics;
  private KeyValueStore<Bytes, BatchExample> pool;

  public ScoreUpdateProcessor(SieveMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    this.pool = context.getStateStore(Stores.POOL);
  }

  @Override
  public void process(Record<Integer, ScoreUpdate> record) {
    ScoreUpdate update = record.value();
    int applied = 0;
    for (ScoreEntry e : update.getEntries()) {
      Bytes key = PoolKeys.of(update.getClusterId(), e.getSlot());
      BatchExample example = pool.get(key);
      if (example != null && example.getId().equals(e.getId())) {
        example.setScore(e.getScore());
        pool.put(key, example);
        applied++;
      }
    }
    metrics.scoresUpdated(applied);
  }
}
