package io.sieve.pool;

import io.sieve.avro.BatchExample;
import io.sieve.avro.PlanFragment;
import io.sieve.avro.Selection;
import io.sieve.topology.Stores;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Reads the slots a plan fragment names from the cluster's pool and sends them on, keyed by batch.
 * It runs beside the pool (same partitions, same store), so the draw needs no remote read. The
 * sampling itself was decided by the planner: this step only looks the slots up.
 */
public final class FulfilProcessor implements Processor<Integer, PlanFragment, String, Selection> {

  private ProcessorContext<String, Selection> context;
  private KeyValueStore<Bytes, BatchExample> pool;

  @Override
  public void init(ProcessorContext<String, Selection> context) {
    this.context = context;
    this.pool = context.getStateStore(Stores.POOL);
  }

  @Override
  public void process(Record<Integer, PlanFragment> record) {
    PlanFragment fragment = record.value();
    boolean idsOnly = fragment.getHeader().getIdsOnly();
    List<BatchExample> examples = new ArrayList<>(fragment.getSlots().size());
    List<Long> slots = fragment.getSlots();
    List<Long> cycles = fragment.getCycles();
    for (int i = 0; i < slots.size(); i++) {
      BatchExample example = pool.get(PoolKeys.of(fragment.getClusterId(), slots.get(i)));
      if (example == null) {
        continue;
      }
      BatchExample.Builder out = BatchExample.newBuilder(example);
      if (i < cycles.size()) {
        out.setCycle(cycles.get(i));
      }
      if (idsOnly) {
        out.setText(null).setEmbedding(null);
      }
      examples.add(out.build());
    }
    Selection selection =
        Selection.newBuilder()
            .setHeader(fragment.getHeader())
            .setClusterId(fragment.getClusterId())
            .setRequested(fragment.getSlots().size())
            .setExamples(examples)
            .build();
    context.forward(record.withKey(fragment.getHeader().getBatchId()).withValue(selection));
  }
}
