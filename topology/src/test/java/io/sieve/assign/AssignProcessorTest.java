package io.sieve.assign;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterDelta;
import io.sieve.avro.ModelUpdate;
import io.sieve.avro.TrainingExample;
import io.sieve.cluster.Assigned;
import io.sieve.cluster.CentroidModels;
import io.sieve.config.Topics;
import io.sieve.registry.InMemorySchemaRegistry;
import io.sieve.serde.AvroSerdes;
import io.sieve.stream.Stores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The assigner on its own, with real (in-memory) stores and a mock context. */
class AssignProcessorTest {

  private static final int DIM = 4;
  private static final Duration INTERVAL = Duration.ofSeconds(1);

  private MockProcessorContext<String, Assigned> context;
  private KeyValueStore<String, CentroidModel> models;
  private KeyValueStore<String, TrainingExample> awaiting;

  @BeforeEach
  void setUp() {
    context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(1_000L);
    AvroSerdes serdes = new AvroSerdes(new InMemorySchemaRegistry());
    awaiting = inMemory(Stores.AWAITING_MODEL, serdes.forClass(TrainingExample.class, false));
    awaiting.init(context.getStateStoreContext(), awaiting);
    context.addStateStore(awaiting);
    models = inMemory(Stores.CENTROIDS, serdes.forClass(CentroidModel.class, false));
    models.init(context.getStateStoreContext(), models);
    context.addStateStore(models);
    models.put(
        Topics.MODEL_KEY,
        CentroidModels.model(
            3,
            DIM,
            2,
            new int[] {0, 1},
            new double[] {10, 10},
            new float[][] {{1, 0, 0, 0}, {0, 1, 0, 0}}));
  }

  private static <V> KeyValueStore<String, V> inMemory(
      String name, org.apache.kafka.common.serialization.Serde<V> values) {
    StoreBuilder<KeyValueStore<String, V>> b =
        org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                org.apache.kafka.streams.state.Stores.inMemoryKeyValueStore(name),
                Serdes.String(),
                values)
            .withLoggingDisabled();
    return b.build();
  }

  private static TrainingExample example(String id, float... embedding) {
    List<Float> boxed = new ArrayList<>();
    for (float f : embedding) {
      boxed.add(f);
    }
    return TrainingExample.newBuilder()
        .setId(id)
        .setText("t")
        .setEmbedding(boxed)
        .setGroups(Map.of())
        .build();
  }

  private static void feed(AssignProcessor p) {
    p.process(new Record<>("a", example("a", 1, 0, 0, 0), 0L));
    p.process(new Record<>("b", example("b", 0.99f, 0.141f, 0, 0), 0L));
    p.process(new Record<>("c", example("c", 0, 1, 0, 0), 0L));
  }

  /** Runs the update-interval punctuation, as Streams does on the wall clock. */
  private void flush() {
    context.setCurrentSystemTimeMs(context.currentSystemTimeMs() + INTERVAL.toMillis());
    for (MockProcessorContext.CapturedPunctuator p : context.scheduledPunctuators()) {
      if (p.getInterval().equals(INTERVAL)) {
        p.getPunctuator().punctuate(context.currentSystemTimeMs());
      }
    }
  }

  /** Runs the model-refresh punctuation, as Streams does on the wall clock. */
  private void refresh() {
    context.setCurrentSystemTimeMs(context.currentSystemTimeMs() + 250);
    for (MockProcessorContext.CapturedPunctuator p : context.scheduledPunctuators()) {
      if (p.getInterval().equals(Duration.ofMillis(250))) {
        p.getPunctuator().punctuate(context.currentSystemTimeMs());
      }
    }
  }

  private List<String> pooledIds() {
    List<String> out = new ArrayList<>();
    for (MockProcessorContext.CapturedForward<? extends String, ? extends Assigned> f :
        context.forwarded()) {
      if (f.record().value() instanceof Assigned.ToPool) {
        out.add(f.record().key());
      }
    }
    return out;
  }

  private List<ModelUpdate> updatesSent() {
    List<ModelUpdate> out = new ArrayList<>();
    for (MockProcessorContext.CapturedForward<? extends String, ? extends Assigned> f :
        context.forwarded()) {
      if (f.record().value() instanceof Assigned.ToOwner owner) {
        out.add(owner.update());
      }
    }
    return out;
  }

  private static long count(List<ModelUpdate> updates, int cluster) {
    long n = 0;
    for (ModelUpdate u : updates) {
      for (ClusterDelta d : u.getDeltas()) {
        if (d.getClusterId() == cluster) {
          n += d.getCount();
        }
      }
    }
    return n;
  }

  @Test
  void shouldSendEachClustersSumsOncePerInterval() {
    // Given an assigner with a model of clusters 0 and 1
    AssignProcessor p = new AssignProcessor(10, INTERVAL, 2.0, 256);
    p.init(context);

    // When three examples arrive and the interval passes
    feed(p);
    flush();

    // Then one update carries two points for cluster 0 and one for cluster 1
    List<ModelUpdate> updates = updatesSent();
    assertThat(updates).hasSize(1);
    assertThat(count(updates, 0)).isEqualTo(2);
    assertThat(count(updates, 1)).isEqualTo(1);
  }

  @Test
  void shouldNotCountRecordsTwiceWhenATaskIsRevivedAfterAnAbortedTransaction() {
    // Given an assigner that assigned three examples but has not sent its sums yet
    AssignProcessor p = new AssignProcessor(10, INTERVAL, 2.0, 256);
    p.init(context);
    feed(p);

    // When the transaction aborts: Streams closes the task and initialises the same processors
    // again, then reprocesses the same records from the last committed offsets
    p.close();
    context.resetForwards();
    p.init(context);
    feed(p);
    flush();

    // Then the model owner hears of each example once
    List<ModelUpdate> updates = updatesSent();
    assertThat(count(updates, 0)).isEqualTo(2);
    assertThat(count(updates, 1)).isEqualTo(1);
  }

  @Test
  void shouldAssignExamplesThatAwaitedTheModelOnceAndThoseRestoredAfterARestart() {
    // Given an assigner without a model, which holds two examples in its awaiting store
    CentroidModel model = models.get(Topics.MODEL_KEY);
    models.delete(Topics.MODEL_KEY);
    AssignProcessor p = new AssignProcessor(10, INTERVAL, 2.0, 256);
    p.init(context);
    p.process(new Record<>("a", example("a", 1, 0, 0, 0), 0L));
    p.process(new Record<>("c", example("c", 0, 1, 0, 0), 0L));
    refresh();
    assertThat(pooledIds()).isEmpty();

    // When the model arrives: both are assigned, once, and the store is drained
    models.put(Topics.MODEL_KEY, model);
    refresh();
    refresh();
    assertThat(pooledIds()).containsExactly("a", "c");
    assertThat(awaiting.approximateNumEntries()).isZero();

    // When the task starts again over a store that holds an example (restored from its changelog)
    p.close();
    context.resetForwards();
    awaiting.put("d", example("d", 0, 1, 0, 0));
    p.init(context);
    refresh();

    // Then that example is assigned too
    assertThat(pooledIds()).containsExactly("d");
    assertThat(awaiting.approximateNumEntries()).isZero();
  }
}
