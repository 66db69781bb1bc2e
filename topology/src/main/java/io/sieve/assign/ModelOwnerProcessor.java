package io.sieve.assign;

import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterDelta;
import io.sieve.avro.ModelOwnerState;
import io.sieve.avro.ModelUpdate;
import io.sieve.cluster.CentroidModels;
import io.sieve.cluster.Centroids;
import io.sieve.cluster.ClusterSet;
import io.sieve.cluster.DecayedUpdate;
import io.sieve.cluster.KMeansPlusPlus;
import io.sieve.cluster.Vectors;
import io.sieve.config.Topics;
import io.sieve.policy.Seeds;
import io.sieve.stream.Stores;
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
 * mini-batch rule w_k ← aⁿ·w_k + ā·m_k, c_k ← (1−λ)c_k + λ·s_k/m_k with λ = ā·m_k / w_k, where a =
 * exp(ln ½ / h) for the half-life h in points and n is the number of points the update reports (its
 * deltas' counts plus its spawn candidates), ā the mean weight of a point spread evenly over the
 * update ({@link DecayedUpdate#meanPointWeight}): a cluster that gets no points halves its weight
 * every h points the whole model absorbs. Counting points, not messages, keeps the ageing
 * independent of how many assigning tasks there are and how often they send: the same points in one
 * update or in four age the clusters alike.
 *
 * <p>The same update then opens clusters for the sender's far points (DP-means, at most {@code
 * k.max} live) and retires dying clusters by splitting the largest; see {@link ClusterSet}. This
 * task is the only writer of the model, so it alone hands out ids, from the model's {@code
 * nextClusterId}, which only grows. The model lives in this task's changelogged store, so the
 * counter, and with it the rule that ids are never reused, survives restarts and moves between
 * instances. The random direction of a split is seeded from (configured seed, model version).
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
  private final double spawnDistance;
  private final int kMax;
  private ProcessorContext<String, CentroidModel> context;
  private KeyValueStore<String, ModelOwnerState> store;
  private long firstSampleAt = -1;

  public ModelOwnerProcessor(
      int dimension,
      int kInit,
      int bootstrapSize,
      Duration bootstrapWait,
      double halfLife,
      long seed,
      double spawnDistance,
      int kMax) {
    this.dimension = dimension;
    this.kInit = kInit;
    this.bootstrapSize = bootstrapSize;
    this.bootstrapWait = bootstrapWait;
    this.decay = DecayedUpdate.decayForHalfLife(halfLife);
    this.seed = seed;
    this.spawnDistance = spawnDistance;
    this.kMax = kMax;
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
    if (!update.getDeltas().isEmpty() || !update.getSpawnCandidates().isEmpty()) {
      publish(state, apply(state.getModel(), update));
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

  private CentroidModel apply(CentroidModel model, ModelUpdate update) {
    Map<Integer, ClusterDelta> byId = new HashMap<>();
    for (ClusterDelta d : update.getDeltas()) {
      byId.merge(d.getClusterId(), d, ModelOwnerProcessor::merge);
    }
    long points = update.getSpawnCandidates().size();
    for (ClusterDelta d : update.getDeltas()) {
      points += Math.max(0, d.getCount());
    }
    ClusterSet set = ClusterSet.of(model);
    set.absorbPoints(byId, decay, points);
    List<float[]> candidates = new ArrayList<>(update.getSpawnCandidates().size());
    for (ByteBuffer b : update.getSpawnCandidates()) {
      float[] x = Vectors.unpack(b.duplicate());
      if (x.length == dimension && Vectors.allFinite(x)) {
        candidates.add(x);
      }
    }
    List<Integer> opened = set.spawn(candidates, spawnDistance, kMax);
    long version = model.getVersion() + 1;
    List<Integer> retired = set.retireDying(new Random(Seeds.mix(seed, version)));
    if (!opened.isEmpty() || !retired.isEmpty()) {
      LOG.info(
          "model v{}: opened clusters {}, retired {}; {} live, next id {}",
          version,
          opened,
          retired,
          set.size(),
          set.nextClusterId());
    }
    return set.toModel(version);
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
