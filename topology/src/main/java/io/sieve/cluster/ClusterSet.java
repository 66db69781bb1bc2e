package io.sieve.cluster;

import io.sieve.avro.Centroid;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterDelta;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The model owner's working copy of the clusters between two published versions: decayed updates,
 * DP-means spawning, and retiring dying clusters by splitting the largest. Ids come only from
 * {@code nextClusterId}, which only grows, so an id is never handed out twice.
 *
 * <p><b>Decay</b> ({@link DecayedUpdate}): per update, {@code w_k ← a·w_k + m_k} and the centre
 * moves by {@code λ = m_k / w_k} towards the mean of its new points; {@code a = 2^(−n/h)} for an
 * update of {@code n} points and a half-life of {@code h} points (the caller's {@code decay}).
 *
 * <p><b>Spawning</b> (DP-means, Kulis &amp; Jordan 2012): a point {@code x} with {@code 1 − max_k
 * ⟨x, c_k⟩ > τ} opens a cluster at {@code x} with weight 1, while fewer than {@code k.max} are
 * live. Candidates are taken in order and greedily: one within {@code τ} of a cluster opened in the
 * same update joins it (its centre becomes the normalised sum of its points, its weight their
 * count), so one burst of nearby far points opens one cluster, not many; one within {@code τ} of an
 * older centre opens nothing (that cluster absorbs such points through ordinary assignment).
 *
 * <p><b>Dying clusters</b>: with {@code W = max_k w_k}, a cluster with {@code w_k < 10⁻⁸·W} is
 * retired and the current largest cluster {@code (c, w)} is split in two, {@code normalise(c ±
 * δ·u)} with weights {@code w/2} each, where {@code u} is a random unit vector orthogonal to {@code
 * c} and {@code δ = 10⁻³}. The {@code +} half keeps the largest cluster's id, the {@code −} half
 * gets a fresh one; so the number of clusters stays the same and the next updates pull the halves
 * apart. The random direction is drawn from a caller-seeded {@link Random}, so a replay splits
 * alike.
 *
 * <p><b>Lineage</b>: the {@code −} half of a split has the split cluster as its parent; a spawned
 * cluster has the old cluster nearest to its first point (where such points were assigned until
 * then). Bootstrap clusters have none. Trainers' policies start a new cluster from its parent's
 * numbers.
 */
public final class ClusterSet {

  /** A cluster lighter than this fraction of the heaviest is dying. */
  public static final double DYING_FRACTION = 1e-8;

  /** Length of the perturbation that separates the two halves of a split cluster. */
  static final double SPLIT_PERTURBATION = 1e-3;

  private final int dimension;
  private int nextClusterId;
  private final List<Integer> ids = new ArrayList<>();
  private final List<Double> weights = new ArrayList<>();
  private final List<float[]> centers = new ArrayList<>();
  private final List<Integer> parents = new ArrayList<>();

  public ClusterSet(int dimension, int nextClusterId) {
    this.dimension = dimension;
    this.nextClusterId = nextClusterId;
  }

  public static ClusterSet of(CentroidModel model) {
    ClusterSet set = new ClusterSet(model.getDimension(), model.getNextClusterId());
    for (Centroid c : model.getClusters()) {
      set.ids.add(c.getId());
      set.weights.add(c.getWeight());
      set.centers.add(Vectors.unpack(c.getCenter().duplicate()));
      set.parents.add(c.getParent());
    }
    return set;
  }

  /** The published form of this set as version {@code version}. */
  public CentroidModel toModel(long version) {
    int n = ids.size();
    int[] idArray = new int[n];
    double[] weightArray = new double[n];
    for (int k = 0; k < n; k++) {
      idArray[k] = ids.get(k);
      weightArray[k] = weights.get(k);
    }
    return CentroidModels.model(
        version,
        dimension,
        nextClusterId,
        idArray,
        weightArray,
        centers.toArray(new float[0][]),
        parents.toArray(new Integer[0]));
  }

  /**
   * Applies one decayed update: clusters named in {@code deltas} absorb their points, every other
   * cluster only decays. Deltas for ids no longer live (retired since the sender's model) are
   * ignored.
   */
  public void absorb(Map<Integer, ClusterDelta> deltas, double decay) {
    absorb(deltas, decay, 1.0);
  }

  /**
   * Applies one update of {@code points} points with the half-life counted in points: every weight
   * decays by {@code a^points} and each new point adds {@link DecayedUpdate#meanPointWeight}, so
   * the model ages by the points it absorbs, not by the messages that carry them.
   */
  public void absorbPoints(Map<Integer, ClusterDelta> deltas, double decayPerPoint, long points) {
    absorb(
        deltas,
        DecayedUpdate.decayOver(decayPerPoint, points),
        DecayedUpdate.meanPointWeight(decayPerPoint, points));
  }

  private void absorb(Map<Integer, ClusterDelta> deltas, double decay, double pointWeight) {
    float[] none = new float[dimension];
    for (int k = 0; k < ids.size(); k++) {
      ClusterDelta d = deltas.get(ids.get(k));
      double w =
          d == null
              ? DecayedUpdate.apply(centers.get(k), weights.get(k), 0, none, decay)
              : DecayedUpdate.apply(
                  centers.get(k),
                  weights.get(k),
                  d.getCount(),
                  Vectors.unpack(d.getSum().duplicate()),
                  decay,
                  d.getCount() * pointWeight);
      weights.set(k, w);
    }
  }

  /**
   * Opens clusters for far points (see the class comment).
   *
   * @param candidates unit vectors, in arrival order
   * @param distance the threshold {@code τ} on the cosine distance
   * @param kMax the most live clusters
   * @return the ids opened, in order
   */
  public List<Integer> spawn(List<float[]> candidates, double distance, int kMax) {
    List<Integer> opened = new ArrayList<>();
    int firstNew = ids.size();
    List<float[]> sums = new ArrayList<>();
    for (float[] x : candidates) {
      int nearest = -1;
      float best = Float.NEGATIVE_INFINITY;
      int nearestOld = -1;
      float bestOld = Float.NEGATIVE_INFINITY;
      for (int k = 0; k < centers.size(); k++) {
        float dot = Vectors.dot(x, centers.get(k));
        if (dot > best) {
          best = dot;
          nearest = k;
        }
        if (k < firstNew && dot > bestOld) {
          bestOld = dot;
          nearestOld = k;
        }
      }
      if (nearest >= 0 && 1.0 - best <= distance) {
        if (nearest >= firstNew) {
          float[] sum = sums.get(nearest - firstNew);
          for (int i = 0; i < dimension; i++) {
            sum[i] += x[i];
          }
          float[] center = sum.clone();
          if (Vectors.normalize(center) > 0) {
            centers.set(nearest, center);
          }
          weights.set(nearest, weights.get(nearest) + 1.0);
        }
        continue;
      }
      if (ids.size() >= kMax) {
        continue;
      }
      int id = nextClusterId++;
      ids.add(id);
      weights.add(1.0);
      centers.add(x.clone());
      // its points were assigned to the nearest old cluster until now: that one is its parent
      parents.add(nearestOld >= 0 ? ids.get(nearestOld) : null);
      sums.add(x.clone());
      opened.add(id);
    }
    return opened;
  }

  /**
   * Retires every dying cluster and splits the largest once for each (see the class comment).
   *
   * @return the retired ids, in increasing order
   */
  public List<Integer> retireDying(Random rng) {
    List<Integer> retired = new ArrayList<>();
    double heaviest = 0;
    for (double w : weights) {
      heaviest = Math.max(heaviest, w);
    }
    double floor = DYING_FRACTION * heaviest;
    if (!(floor > 0)) {
      return retired;
    }
    List<Integer> dying = new ArrayList<>();
    for (int k = 0; k < ids.size(); k++) {
      if (weights.get(k) < floor) {
        dying.add(ids.get(k));
      }
    }
    dying.sort(null);
    for (int id : dying) {
      int k = ids.indexOf(id);
      ids.remove(k);
      weights.remove(k);
      centers.remove(k);
      parents.remove(k);
      retired.add(id);
      splitLargest(rng);
    }
    return retired;
  }

  private void splitLargest(Random rng) {
    int largest = 0;
    for (int k = 1; k < weights.size(); k++) {
      if (weights.get(k) > weights.get(largest)) {
        largest = k;
      }
    }
    float[] c = centers.get(largest);
    float[] u = orthogonalDirection(c, rng);
    float[] plus = new float[dimension];
    float[] minus = new float[dimension];
    for (int i = 0; i < dimension; i++) {
      plus[i] = (float) (c[i] + SPLIT_PERTURBATION * u[i]);
      minus[i] = (float) (c[i] - SPLIT_PERTURBATION * u[i]);
    }
    Vectors.normalize(plus);
    Vectors.normalize(minus);
    double half = weights.get(largest) / 2;
    centers.set(largest, plus);
    weights.set(largest, half);
    parents.add(ids.get(largest));
    ids.add(nextClusterId++);
    weights.add(half);
    centers.add(minus);
  }

  /** A random unit vector orthogonal to the unit vector {@code c} (Gram–Schmidt on a Gaussian). */
  private float[] orthogonalDirection(float[] c, Random rng) {
    for (int attempt = 0; ; attempt++) {
      double[] g = new double[dimension];
      double along = 0;
      for (int i = 0; i < dimension; i++) {
        g[i] = rng.nextGaussian();
        along += g[i] * c[i];
      }
      double sq = 0;
      for (int i = 0; i < dimension; i++) {
        g[i] -= along * c[i];
        sq += g[i] * g[i];
      }
      if (sq > 1e-12 || attempt > 16) {
        float[] u = new float[dimension];
        double inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
        for (int i = 0; i < dimension; i++) {
          u[i] = (float) (g[i] * inv);
        }
        return u;
      }
    }
  }

  public int size() {
    return ids.size();
  }

  public int nextClusterId() {
    return nextClusterId;
  }

  public List<Integer> ids() {
    return List.copyOf(ids);
  }

  public double weightOf(int id) {
    return weights.get(indexOfId(id));
  }

  /** The cluster {@code id} was split or spawned from, or null (see the model's lineage). */
  public Integer parentOf(int id) {
    return parents.get(indexOfId(id));
  }

  public float[] centerOf(int id) {
    return centers.get(indexOfId(id)).clone();
  }

  private int indexOfId(int id) {
    int k = ids.indexOf(id);
    if (k < 0) {
      throw new IllegalArgumentException("no live cluster " + id);
    }
    return k;
  }
}
