package io.sieve.feedback;

import io.sieve.avro.IndexEntry;
import io.sieve.avro.PendingBatch;
import io.sieve.avro.ScoreEntry;
import io.sieve.avro.ScoreUpdate;
import io.sieve.avro.TrainerFeedback;
import io.sieve.config.SieveConfig;
import io.sieve.policy.FeedbackRanges;
import io.sieve.stream.Stores;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Turns a trainer's per-example losses into score updates for the pool. Feedback arrives here keyed
 * by batch id, beside the assembler (same partitions, same store), whose marker for the written
 * batch holds each example's cluster and slot; the losses are grouped by cluster and sent on keyed
 * by cluster id, to the pool's partitions.
 *
 * <p>Losses for a batch the marker no longer knows (acknowledged more than {@code 10 ×
 * batch.assembly.timeout.ms} after it was started), for ids the batch did not hold, or from a
 * trainer other than the batch's own are ignored: the planner dead-letters feedback for unknown
 * batches, and a loss is only useful on the example it was measured on.
 */
public final class ScoreRouterProcessor
    implements Processor<String, TrainerFeedback, Integer, ScoreUpdate> {

  private final double maxAbsLoss;
  private ProcessorContext<Integer, ScoreUpdate> context;
  private KeyValueStore<String, PendingBatch> pending;

  public ScoreRouterProcessor() {
    this(SieveConfig.FEEDBACK_MAX_ABS_LOSS_DEFAULT);
  }

  /**
   * @param maxAbsLoss losses beyond ±this are ignored like non-finite ones (the planner
   *     dead-letters the feedback that carries them): a score of 1e308 would rule the pool's draws
   */
  public ScoreRouterProcessor(double maxAbsLoss) {
    this.maxAbsLoss = maxAbsLoss;
  }

  @Override
  public void init(ProcessorContext<Integer, ScoreUpdate> context) {
    this.context = context;
    this.pending = context.getStateStore(Stores.ASSEMBLY);
  }

  @Override
  public void process(Record<String, TrainerFeedback> record) {
    TrainerFeedback feedback = record.value();
    PendingBatch batch = pending.get(record.key());
    if (feedback == null
        || batch == null
        || !batch.getEmitted()
        || !batch.getHeader().getTrainerId().equals(feedback.getTrainerId())) {
      return;
    }
    Map<String, Double> losses = feedback.getExampleLosses();
    TreeMap<Integer, List<ScoreEntry>> byCluster = new TreeMap<>();
    for (IndexEntry e : batch.getIndex()) {
      Double loss = losses.get(e.getId());
      if (FeedbackRanges.inRange(loss, maxAbsLoss)) {
        byCluster
            .computeIfAbsent(e.getClusterId(), k -> new ArrayList<>())
            .add(
                ScoreEntry.newBuilder()
                    .setId(e.getId())
                    .setSlot(e.getSlot())
                    .setScore(loss)
                    .build());
      }
    }
    byCluster.forEach(
        (cluster, entries) ->
            context.forward(
                new Record<>(
                    cluster,
                    ScoreUpdate.newBuilder()
                        .setClusterId(cluster)
                        .setBatchId(record.key())
                        .setTrainerId(feedback.getTrainerId())
                        .setEntries(entries)
                        .build(),
                    record.timestamp())));
  }
}
