package io.sieve.assign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sieve.avro.Centroid;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterDelta;
import io.sieve.avro.ModelOwnerState;
import io.sieve.avro.ModelUpdate;
import io.sieve.cluster.CentroidModels;
import io.sieve.cluster.Vectors;
import io.sieve.config.Topics;
import io.sieve.registry.InMemorySchemaRegistry;
import io.sieve.serde.AvroSerdes;
import io.sieve.stream.Stores;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The model owner on its own, with a real (in-memory) store and a mock context. */
class ModelOwnerProcessorTest {

  private static final int DIM = 4;
  private static final double HALF_LIFE = 4;

  private MockProcessorContext<String, CentroidModel> context;
  private KeyValueStore<String, ModelOwnerState> store;

  @BeforeEach
  void setUp() {
    context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(1_000L);
    AvroSerdes serdes = new AvroSerdes(new InMemorySchemaRegistry());
    store =
        org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                org.apache.kafka.streams.state.Stores.inMemoryKeyValueStore(Stores.MODEL_OWNER),
                Serdes.String(),
                serdes.forClass(ModelOwnerState.class, false))
            .withLoggingDisabled()
            .build();
    store.init(context.getStateStoreContext(), store);
    context.addStateStore(store);
  }

  private ModelOwnerProcessor owner() {
    ModelOwnerProcessor p =
        new ModelOwnerProcessor(DIM, 2, 10, Duration.ofSeconds(5), HALF_LIFE, 42L, 0.5, 256);
    p.init(context);
    return p;
  }

  private static float[] axis(int i) {
    float[] v = new float[DIM];
    v[i] = 1f;
    return v;
  }

  /** A model with clusters 0 (axis 0) and 1 (axis 1) of the given weights, next id 2. */
  private void givenModel(double w0, double w1) {
    CentroidModel model =
        CentroidModels.model(
            5, DIM, 2, new int[] {0, 1}, new double[] {w0, w1}, new float[][] {axis(0), axis(1)});
    store.put(Topics.MODEL_KEY, ModelOwnerState.newBuilder().setModel(model).build());
  }

  private static ClusterDelta delta(int cluster, long count, float[] sum) {
    return ClusterDelta.newBuilder()
        .setClusterId(cluster)
        .setCount(count)
        .setSum(ByteBuffer.wrap(Vectors.pack(sum)))
        .build();
  }

  private static ModelUpdate update(List<ClusterDelta> deltas, List<float[]> far) {
    return ModelUpdate.newBuilder()
        .setModelVersion(5)
        .setDeltas(deltas)
        .setSpawnCandidates(far.stream().map(x -> ByteBuffer.wrap(Vectors.pack(x))).toList())
        .build();
  }

  private static void send(ModelOwnerProcessor owner, ModelUpdate update) {
    owner.process(new Record<>(Topics.MODEL_KEY, update, 0L));
  }

  private CentroidModel lastPublished() {
    List<MockProcessorContext.CapturedForward<? extends String, ? extends CentroidModel>> out =
        context.forwarded();
    assertThat(out).isNotEmpty();
    return out.get(out.size() - 1).record().value();
  }

  private static Map<Integer, Double> weights(CentroidModel model) {
    Map<Integer, Double> w = new TreeMap<>();
    for (Centroid c : model.getClusters()) {
      w.put(c.getId(), c.getWeight());
    }
    return w;
  }

  @Test
  void anIdleClusterHalvesItsWeightOverOneHalfLifeOfUpdates() {
    // Given clusters of weight 8 and 8, and a half-life of 4 points
    givenModel(8, 8);
    ModelOwnerProcessor owner = owner();

    // When 4 updates bring one point each to cluster 0 only
    for (int i = 0; i < 4; i++) {
      send(owner, update(List.of(delta(0, 1, axis(0))), List.of()));
    }

    // Then cluster 1's weight is halved, cluster 0 has 8·½ + Σ aⁱ, and the version rose by 4
    CentroidModel model = lastPublished();
    assertThat(model.getVersion()).isEqualTo(9L);
    assertThat(weights(model).get(1)).isCloseTo(4.0, within(1e-9));
    double a = Math.pow(0.5, 1 / HALF_LIFE);
    assertThat(weights(model).get(0)).isCloseTo(4.0 + 1 + a + a * a + a * a * a, within(1e-9));
  }

  @Test
  void theSamePointsAgeTheModelAlikeInOneUpdateOrInFour() {
    // Given clusters of weight 8 and 8, and a half-life of 4 points
    givenModel(8, 8);
    ModelOwnerProcessor owner = owner();

    // When one update brings 8 points to cluster 0
    send(owner, update(List.of(delta(0, 8, new float[] {8, 0, 0, 0})), List.of()));
    Map<Integer, Double> inOne = weights(lastPublished());

    // and, from the same start, four updates (as four partitions would send) bring 2 points each
    givenModel(8, 8);
    context.resetForwards();
    for (int i = 0; i < 4; i++) {
      send(owner, update(List.of(delta(0, 2, new float[] {2, 0, 0, 0})), List.of()));
    }
    Map<Integer, Double> inFour = weights(lastPublished());

    // Then the idle cluster aged by 8 points, two half-lives, either way
    assertThat(inOne.get(1)).isCloseTo(2.0, within(1e-9));
    assertThat(inFour.get(1)).isCloseTo(2.0, within(1e-9));
    // and the busy one holds its past, aged alike, plus its new points, each aged by the points
    // after it: 8·a⁸ + (a⁰ + … + a⁷)
    double a = Math.pow(0.5, 1 / HALF_LIFE);
    double expected = 8 * Math.pow(a, 8);
    for (int i = 0; i < 8; i++) {
      expected += Math.pow(a, i);
    }
    assertThat(inOne.get(0)).isCloseTo(expected, within(1e-9));
    assertThat(inFour.get(0)).isCloseTo(expected, within(1e-9));
  }

  @Test
  void aFarPointOpensAClusterWithAFreshIdInTheNextVersion() {
    // Given a model with clusters 0 and 1, next id 2
    givenModel(10, 10);
    ModelOwnerProcessor owner = owner();

    // When an assigner sends a far point on axis 2 as a spawn candidate
    send(owner, update(List.of(), List.of(axis(2))));

    // Then the next version has cluster 2 centred on it, and next id 3
    CentroidModel model = lastPublished();
    assertThat(model.getVersion()).isEqualTo(6L);
    assertThat(weights(model).keySet()).containsExactly(0, 1, 2);
    assertThat(model.getNextClusterId()).isEqualTo(3);
    Centroid spawned = model.getClusters().get(2);
    assertThat(Vectors.unpack(spawned.getCenter().duplicate()))
        .containsExactly(axis(2), within(1e-7f));
    // and the owner's stored state holds the same model
    assertThat(store.get(Topics.MODEL_KEY).getModel()).isEqualTo(model);
  }

  @Test
  void aDyingClusterIsRetiredAndTheLargestSplitThroughTheOwner() {
    // Given cluster 1 far below 1e-8 of cluster 0
    givenModel(1e6, 1e-3);
    ModelOwnerProcessor owner = owner();

    // When an update brings points to cluster 0
    send(owner, update(List.of(delta(0, 2, new float[] {2, 0, 0, 0})), List.of()));

    // Then cluster 1 is retired and cluster 0 is split with a fresh id 2, weights halved
    CentroidModel model = lastPublished();
    Map<Integer, Double> w = weights(model);
    assertThat(w.keySet()).containsExactly(0, 2);
    double a = Math.pow(0.5, 1 / HALF_LIFE);
    double heaviest = a * a * 1e6 + 1 + a;
    assertThat(w.get(0)).isCloseTo(heaviest / 2, within(1e-6));
    assertThat(w.get(2)).isCloseTo(heaviest / 2, within(1e-6));
    assertThat(model.getNextClusterId()).isEqualTo(3);
  }

  @Test
  void idsContinueFromTheStoredCounterAfterARestart() {
    // Given an owner that opened cluster 2
    givenModel(10, 10);
    send(owner(), update(List.of(), List.of(axis(2))));

    // When a new owner instance starts on the same store and a far point arrives
    ModelOwnerProcessor restarted = owner();
    send(restarted, update(List.of(), List.of(axis(3))));

    // Then it opens cluster 3, and the earlier ids are unchanged
    CentroidModel model = lastPublished();
    assertThat(weights(model).keySet()).containsExactly(0, 1, 2, 3);
    assertThat(model.getNextClusterId()).isEqualTo(4);
  }
}
