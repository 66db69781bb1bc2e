package io.sieve.cluster;

import io.sieve.avro.Centroid;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterDelta;
import io.sieve.avro.ModelOwnerState;
import io.sieve.avro.ModelUpdate;
import io.sieve.config.Topics;
import io.sieve.topology.Stores;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single owner of the centroid model. All updates reach it on a one-partition topic, so one
 * task applies them in order and publishes each new version to the compacted model topic.
 *
 * <p>Bootstrap: once {@code bootstrapSize} samples have arrived, or samples have waited {@code
 * bootstrapWait} (a small feed), k-means++ seeding plus a few spherical Lloyd passes make the first
 * model. Afterwards each update applies, per cluster k with m_k new points of sum s_k, the decayed
 * mini-batch rule w_k ← a·w_k + m_k, c_k ← (1−λ)c_k + λ·s_k/m_k with λ = m_k / w_k, where a =
 * exp(ln ½ / h) for the half-life h in updates; clusters without points only decay.
 */
public final class ModelOwnerProcessor
    implements Processor<String, ModelUpdate, String, CentroidModel> {

  private static final Logger LOG = LoggerFactory.getLogger(ModelOwnerProcessor.class);
  private static final int LLOYD_ITERATIONS = 5;

  private final int dimension;
  private final int kInit;
  private final int bootstrapSize;
  private final Duration bootstrapWait;
  private final double decay;
  private final long seed;
  private ProcessorContext<String, CentroidModel> context;
  private KeyValueStore<String, ModelOwnerState> store;
  private long firstSampleAt = -1;

  public ModelOwnerProcessor(
      int dimension,
      int kInit,
      int bootstrapSize,
      Duration bootstrapWait,
      double halfLife,
      long seed) {
    this.dimension = dimension;
    this.kInit = kInit;
    this.bootstrapSize = bootstrapSize;
    this.bootstrapWait = bootstrapWait;
    this.decay = DecayedUpdate.decayForHalfLife(halfLife);
    this.seed = seed;
  }

  @Override
  public void init(ProcessorContext<String, CentroidModel> context) {
    this.context = context;
    this.store = context.getStateStore(Stores.MODEL_OWNER);
    context.schedule(
        Duration.ofMillis(500), PunctuationType.WALL_CLOCK_TIME, this::bootstrapIfWaitedEnough);
  }

  @Override
  public void process(Record<String, ModelUpdate> record) {
    ModelOwnerState state = current();
    ModelUpdate update = record.value();
    if (state.getModel() == null) {
      if (update.getSamples().isEmpty()) {
        return;
      }
      List<ByteBuffer> samples = new ArrayList<>(state.getSamples());
      samples.addAll(update.getSamples());
      state.setSamples(samples);
      if (firstSampleAt < 0) {
        firstSampleAt = context.currentSystemTimeMs();
      }
      if (samples.size() >= bootstrapSize) {
        bootstrap(state);
      } else {
        store.put(Topics.MODEL_KEY, state);
      }
      return;
    }
    if (!update.getDeltas().isEmpty()) {
      publish(state, applyDeltas(state.getModel(), update.getDeltas()));
    }
  }

  private void bootstrapIfWaitedEnough(long now) {
    if (firstSampleAt < 0 || now - firstSampleAt < bootstrapWait.toMillis()) {
      return;
    }
    ModelOwnerState state = current();
    if (state.getModel() == null && !state.getSamples().isEmpty()) {
      bootstrap(state);
    }
  }

  private ModelOwnerState current() {
    ModelOwnerState state = store.get(Topics.MODEL_KEY);
    return state != null ? state : ModelOwnerState.newBuilder().build();
  }

  private void bootstrap(ModelOwnerState state) {
    List<float[]> points = new ArrayList<>(state.getSamples().size());
    for (ByteBuffer b : state.getSamples()) {
      points.add(Vectors.unpack(b.duplicate()));
    }
    Random rng = new Random(seed);
    float[][] centers =
        KMeansPlusPlus.refine(points, KMeansPlusPlus.seed(points, kInit, rng), LLOYD_ITERATIONS);
    Centroids c = new Centroids(dimension, ids(centers.length), flatten(centers));
    double[] weights = new double[centers.length];
    for (float[] p : points) {
      weights[c.nearestIndex(p)] += 1.0;
    }
    CentroidModel model =
        CentroidModels.model(1, dimension, centers.length, ids(centers.length), weights, centers);
    LOG.info("bootstrapped {} clusters from {} samples", centers.length, points.size());
    publish(state, model);
  }

  private CentroidModel applyDeltas(CentroidModel model, List<ClusterDelta> deltas) {
    Map<Integer, ClusterDelta> byId = new HashMap<>();
    for (ClusterDelta d : deltas) {
      byId.merge(d.getClusterId(), d, ModelOwnerProcessor::merge);
    }
    List<Centroid> clusters = model.getClusters();
    int n = clusters.size();
    int[] ids = new int[n];
    double[] weights = new double[n];
    float[][] centers = new float[n][];
    for (int k = 0; k < n; k++) {
      Centroid c = clusters.get(k);
      ids[k] = c.getId();
      centers[k] = Vectors.unpack(c.getCenter().duplicate());
      ClusterDelta d = byId.get(c.getId());
      weights[k] =
          d == null
              ? DecayedUpdate.apply(centers[k], c.getWeight(), 0, new float[dimension], decay)
              : DecayedUpdate.apply(
                  centers[k],
                  c.getWeight(),
                  d.getCount(),
                  Vectors.unpack(d.getSum().duplicate()),
                  decay);
    }
    return CentroidModels.model(
        model.getVersion() + 1, dimension, model.getNextClusterId(), ids, weights, centers);
  }

  private static ClusterDelta merge(ClusterDelta a, ClusterDelta b) {
    float[] sa = Vectors.unpack(a.getSum().duplicate());
    float[] sb = Vectors.unpack(b.getSum().duplicate());
    for (int i = 0; i < sa.length; i++) {
      sa[i] += sb[i];
    }
    return ClusterDelta.newBuilder()
        .setClusterId(a.getClusterId())
        .setCount(a.getCount() + b.getCount())
        .setSum(ByteBuffer.wrap(Vectors.pack(sa)))
        .build();
  }

  private void publish(ModelOwnerState state, CentroidModel model) {
    state.setModel(model);
    state.setSamples(List.of());
    store.put(Topics.MODEL_KEY, state);
    context.forward(new Record<>(Topics.MODEL_KEY, model, context.currentSystemTimeMs()));
  }

  private static int[] ids(int n) {
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = i;
    }
    return ids;
  }

  private float[] flatten(float[][] rows) {
    float[] flat = new float[rows.length * dimension];
    for (int k = 0; k < rows.length; k++) {
      System.arraycopy(rows[k], 0, flat, k * dimension, dimension);
    }
    return flat;
  }
}
