package io.sieve.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sieve.avro.CentroidModel;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ClusterSetTest {

  private static float[] axis(int dim, int i) {
    float[] v = new float[dim];
    v[i] = 1f;
    return v;
  }

  /** Unit vector mostly along axis {@code i}, tilted a little towards axis {@code j}. */
  private static float[] tilted(int dim, int i, int j, float tilt) {
    float[] v = axis(dim, i);
    v[j] = tilt;
    Vectors.normalize(v);
    return v;
  }

  private static ClusterSet twoClusters(double w0, double w1) {
    CentroidModel model =
        CentroidModels.model(
            7,
            4,
            2,
            new int[] {0, 1},
            new double[] {w0, w1},
            new float[][] {axis(4, 0), axis(4, 1)});
    return ClusterSet.of(model);
  }

  @Test
  void aFarPointOpensAClusterWithTheNextId() {
    // Given clusters 0 and 1 and next id 2
    ClusterSet set = twoClusters(10, 10);

    // When a point on a third axis (distance 1 from both) is offered with threshold 0.5
    List<Integer> opened = set.spawn(List.of(axis(4, 2)), 0.5, 256);

    // Then cluster 2 opens at the point with weight 1, and the next id is 3
    assertThat(opened).containsExactly(2);
    assertThat(set.ids()).containsExactly(0, 1, 2);
    assertThat(set.centerOf(2)).containsExactly(axis(4, 2), within(1e-7f));
    assertThat(set.weightOf(2)).isEqualTo(1.0);
    assertThat(set.nextClusterId()).isEqualTo(3);
    assertThat(set.toModel(8).getNextClusterId()).isEqualTo(3);
  }

  @Test
  void aBurstOfNearbyFarPointsOpensOneCluster() {
    // Given two clusters
    ClusterSet set = twoClusters(10, 10);

    // When five far points close to each other arrive in one update
    List<float[]> burst =
        List.of(
            tilted(4, 2, 3, 0.1f),
            tilted(4, 2, 3, -0.1f),
            tilted(4, 2, 3, 0.2f),
            axis(4, 2),
            tilted(4, 2, 3, 0.05f));
    List<Integer> opened = set.spawn(burst, 0.5, 256);

    // Then one cluster opens, holding all five, centred on their mean direction
    assertThat(opened).containsExactly(2);
    assertThat(set.size()).isEqualTo(3);
    assertThat(set.weightOf(2)).isEqualTo(5.0);
    float[] c = set.centerOf(2);
    assertThat(c[2]).isGreaterThan(0.99f);
    assertThat(c[0]).isZero();
  }

  @Test
  void aPointWithinTheThresholdOfAnOldCentreOpensNothing() {
    ClusterSet set = twoClusters(10, 10);

    List<Integer> opened = set.spawn(List.of(tilted(4, 0, 2, 0.5f)), 0.5, 256);

    assertThat(opened).isEmpty();
    assertThat(set.ids()).containsExactly(0, 1);
    assertThat(set.nextClusterId()).isEqualTo(2);
  }

  @Test
  void noClusterOpensPastKMax() {
    ClusterSet set = twoClusters(10, 10);

    List<Integer> opened = set.spawn(List.of(axis(4, 2), axis(4, 3)), 0.5, 3);

    assertThat(opened).containsExactly(2);
    assertThat(set.size()).isEqualTo(3);
  }

  @Test
  void aDyingClusterIsRetiredAndTheLargestSplitUnderAFreshId() {
    // Given cluster 1 weighs less than 1e-8 of cluster 0
    ClusterSet set = twoClusters(1000, 1e-6);

    // When dying clusters are retired
    List<Integer> retired = set.retireDying(new Random(1));

    // Then cluster 1 is gone, cluster 0 and a new cluster 2 share its weight, both near its centre
    assertThat(retired).containsExactly(1);
    assertThat(set.ids()).containsExactly(0, 2);
    assertThat(set.weightOf(0)).isEqualTo(500.0);
    assertThat(set.weightOf(2)).isEqualTo(500.0);
    assertThat(Vectors.dot(set.centerOf(0), axis(4, 0))).isGreaterThan(0.999f);
    assertThat(Vectors.dot(set.centerOf(2), axis(4, 0))).isGreaterThan(0.999f);
    // the halves are distinct, so later updates can pull them apart
    assertThat(set.centerOf(0)).isNotEqualTo(set.centerOf(2));
    assertThat(set.nextClusterId()).isEqualTo(3);
  }

  @Test
  void aSplitOrSpawnedClusterNamesItsParentInTheModel() {
    // Given clusters 0 (heavy) and 1 (dying) on axes 0 and 1
    ClusterSet set = twoClusters(1000, 1e-6);

    // When a far point near axis 1 opens a cluster, and the dying cluster is retired
    set.spawn(List.of(tilted(4, 2, 1, 0.9f)), 0.2, 256);
    set.retireDying(new Random(1));

    // Then the spawned cluster 2 descends from cluster 1, nearest to its point, and the split's
    // new half 3 from cluster 0, which it was split from; bootstrap cluster 0 has no parent
    CentroidModel model = set.toModel(8);
    assertThat(set.ids()).containsExactly(0, 2, 3);
    assertThat(set.parentOf(2)).isEqualTo(1);
    assertThat(set.parentOf(3)).isEqualTo(0);
    assertThat(set.parentOf(0)).isNull();
    assertThat(model.getClusters().get(2).getParent()).isEqualTo(0);
    // and the lineage survives the published form
    assertThat(ClusterSet.of(model).parentOf(2)).isEqualTo(1);
  }

  @Test
  void aLightButNotDyingClusterStays() {
    ClusterSet set = twoClusters(1000, 1e-4);

    assertThat(set.retireDying(new Random(1))).isEmpty();
    assertThat(set.ids()).containsExactly(0, 1);
  }

  @Test
  void idsAreNeverReusedAfterRetirement() {
    // Given cluster 1 retired and replaced by a split (id 2)
    ClusterSet set = twoClusters(1000, 1e-6);
    set.retireDying(new Random(1));

    // When a far point opens a cluster
    List<Integer> opened = set.spawn(List.of(axis(4, 3)), 0.5, 256);

    // Then it gets id 3, not the retired 1
    assertThat(opened).containsExactly(3);
    assertThat(set.ids()).containsExactly(0, 2, 3);
  }

  @Test
  void absorbMovesNamedClustersAndDecaysTheRest() {
    ClusterSet set = twoClusters(4, 4);
    io.sieve.avro.ClusterDelta delta =
        io.sieve.avro.ClusterDelta.newBuilder()
            .setClusterId(0)
            .setCount(4)
            .setSum(java.nio.ByteBuffer.wrap(Vectors.pack(new float[] {0, 0, 4, 0})))
            .build();

    set.absorb(Map.of(0, delta), 0.5);

    // w0 = 0.5·4 + 4 = 6, λ = 4/6; w1 = 0.5·4 = 2 and its centre stays
    assertThat(set.weightOf(0)).isEqualTo(6.0);
    assertThat(set.weightOf(1)).isEqualTo(2.0);
    assertThat(set.centerOf(1)).containsExactly(axis(4, 1), within(0f));
    assertThat(set.centerOf(0)[2]).isGreaterThan(set.centerOf(0)[0]);
  }
}
