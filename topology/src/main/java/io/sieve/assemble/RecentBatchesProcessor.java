package io.sieve.assemble;

import io.sieve.avro.BatchComposition;
import io.sieve.avro.RecentBatches;
import io.sieve.avro.TrainingBatch;
import io.sieve.diversity.BatchDiversity;
import io.sieve.stream.Stores;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps the composition of each trainer's last {@code keep} batches (keyed by trainer id), highest
 * sequence first, so that the REST API can show what a trainer was served without reading its batch
 * topic. The trainer state stays the planner's alone; this small store lives beside it.
 */
public final class RecentBatchesProcessor
    implements Processor<String, BatchComposition, Void, Void> {

  private final int keep;
  private KeyValueStore<String, RecentBatches> recent;

  public RecentBatchesProcessor(int keep) {
    this.keep = keep;
  }

  /** What a written batch was made of: counts, completeness, diversity and timing. */
  public static BatchComposition composition(TrainingBatch batch) {
    BatchDiversity diversity = BatchDiversity.of(batch.getClusterCounts(), batch.getGroupCounts());
    return BatchComposition.newBuilder()
        .setBatchId(batch.getBatchId())
        .setSequence(batch.getSequence())
        .setPolicy(batch.getPolicy())
        .setPolicyStateVersion(batch.getPolicyStateVersion())
        .setRequested(batch.getRequested())
        .setSize(batch.getExamples().size())
        .setComplete(batch.getComplete())
        .setClusterCounts(new TreeMap<>(batch.getClusterCounts()))
        .setGroupCounts(new TreeMap<>(batch.getGroupCounts()))
        .setClusterEntropy(diversity.clusterEntropy())
        .setGroupEntropy(new TreeMap<>(diversity.groupEntropy()))
        .setPlannedAt(batch.getPlannedAt())
        .setAssembledAt(batch.getAssembledAt())
        .build();
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    this.recent = context.getStateStore(Stores.RECENT_BATCHES);
  }

  /**
   * Compositions arrive in the order the assembler tasks wrote them, which is not the batch order
   * (a trainer's batches are assembled by several tasks, keyed by batch id), so the list is kept
   * sorted by sequence: the newest are the highest sequences, and a late older batch still finds
   * its place or falls off the end.
   */
  @Override
  public void process(Record<String, BatchComposition> record) {
    if (record.key() == null || record.value() == null) {
      return;
    }
    RecentBatches current = recent.get(record.key());
    List<BatchComposition> batches = new ArrayList<>();
    if (current != null) {
      for (BatchComposition b : current.getBatches()) {
        if (!b.getBatchId().equals(record.value().getBatchId())) {
          batches.add(b);
        }
      }
    }
    batches.add(record.value());
    batches.sort(Comparator.comparingLong(BatchComposition::getSequence).reversed());
    if (batches.size() > keep) {
      batches = new ArrayList<>(batches.subList(0, keep));
    }
    recent.put(
        record.key(),
        RecentBatches.newBuilder().setTrainerId(record.key()).setBatches(batches).build());
  }
}
