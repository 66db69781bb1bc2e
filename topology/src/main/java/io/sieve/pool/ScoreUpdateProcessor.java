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
 * Keeps each trainer's per-example losses as that trainer's scores of the pooled examples (keyed by
 * cluster, beside the pool), in a store of its own: one trainer's losses never become another's
 * scores, so they never prune another trainer's data under coverage. A score is stored only while
 * the slot still holds the example the loss is about (the reservoir may have replaced it since),
 * and it carries the example id, so a reader ignores a score whose slot has since changed hands.
 *
 * <p>The store holds at most one entry per (trainer, cluster, slot): bounded by the pool's cap
 * times the trainers that have sent losses.
 */
public final class ScoreUpdateProcessor implements Processor<Integer, ScoreUpdate, Void, Void> {

  private final SieveMetrics metrics;
  private KeyValueStore<Bytes, BatchExample> pool;
  private KeyValueStore<Bytes, ScoreEntry> scores;

  public ScoreUpdateProcessor(SieveMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    this.pool = context.getStateStore(Stores.POOL);
    this.scores = context.getStateStore(Stores.SCORES);
  }

  @Override
  public void process(Record<Integer, ScoreUpdate> record) {
    ScoreUpdate update = record.value();
    int applied = 0;
    for (ScoreEntry e : update.getEntries()) {
      BatchExample example = pool.get(PoolKeys.of(update.getClusterId(), e.getSlot()));
      if (example != null && example.getId().equals(e.getId())) {
        scores.put(PoolKeys.score(update.getClusterId(), update.getTrainerId(), e.getSlot()), e);
        applied++;
      }
    }
    metrics.scoresUpdated(applied);
  }
}
