package io.sieve.cluster;

import io.sieve.avro.Centroid;
import io.sieve.avro.CentroidModel;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Conversions between the published model record and the flat arrays the hot path uses. */
public final class CentroidModels {

  private CentroidModels() {}

  public static Centroids centroids(CentroidModel model) {
    int dim = model.getDimension();
    List<Centroid> clusters = model.getClusters();
    int[] ids = new int[clusters.size()];
    float[] flat = new float[clusters.size() * dim];
    for (int k = 0; k < ids.length; k++) {
      Centroid c = clusters.get(k);
      ids[k] = c.getId();
      float[] center = Vectors.unpack(c.getCenter().duplicate());
      System.arraycopy(center, 0, flat, k * dim, dim);
    }
    return new Centroids(dim, ids, flat);
  }

  public static CentroidModel model(
      long version,
      int dimension,
      int nextClusterId,
      int[] ids,
      double[] weights,
      float[][] centers) {
    return model(version, dimension, nextClusterId, ids, weights, centers, new Integer[ids.length]);
  }

  /**
   * A model whose clusters carry their lineage.
   *
   * @param parents per cluster, the cluster it was split or spawned from, or null
   */
  public static CentroidModel model(
      long version,
      int dimension,
      int nextClusterId,
      int[] ids,
      double[] weights,
      float[][] centers,
      Integer[] parents) {
    List<Centroid> clusters = new ArrayList<>(ids.length);
    for (int k = 0; k < ids.length; k++) {
      clusters.add(
          Centroid.newBuilder()
              .setId(ids[k])
              .setWeight(weights[k])
              .setCenter(ByteBuffer.wrap(Vectors.pack(centers[k])))
              .setParent(parents[k])
              .build());
    }
    return CentroidModel.newBuilder()
        .setVersion(version)
        .setDimension(dimension)
        .setNextClusterId(nextClusterId)
        .setClusters(clusters)
        .setUpdatedAt(Instant.ofEpochMilli(System.currentTimeMillis()))
        .build();
  }

  /**
   * The most bytes a model of {@code clusters} clusters of {@code dimension} floats takes in its
   * Avro binary form with the 5-byte registry header: per cluster the packed centre (4 bytes a
   * float) plus its id, weight, length and parent (at most 24 bytes), and at most 64 bytes of
   * version, counters, array blocks and timestamp. The model is one record on a compacted topic, so
   * this must stay under the topic's {@code max.message.bytes}.
   */
  public static long maxEncodedBytes(int clusters, int dimension) {
    return 64L + (long) clusters * (4L * dimension + 24L);
  }
}
